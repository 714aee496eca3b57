/**
 * BFD interop with BIRD 2 (issue 5): our BFD (agent/probes/bfd, in a child process in its
 * own namespace) and BIRD's BFD on the two ends of a veth pair, 50 ms x 3. The session
 * comes Up on both sides; a blackhole (nftables drop, both directions) is detected by both
 * within the detection time plus a margin; lifting it brings the session Up again. Run with
 * keyed SHA1 (the key derived per site pair as production does) and without auth.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { deriveBfdPassword } from '../../agent/probes/keys'
import { generateKeyPair } from '../../agent/tunnels/keys'
import { BfdLab, requireLabTools } from './bfd-lab'
import { pollUntil } from './exec'

const INTERVAL_MS = 50
const MULT = 3
const DETECTION_MS = INTERVAL_MS * MULT
/** A shared 2-core VM, node and birdc polling: generous, but far below a second. */
const DETECTION_MARGIN_MS = 350
const log = (m: string) => {
  if (process.env.LAB_VERBOSE) console.log(m)
}

beforeAll(async () => {
  await requireLabTools()
})

const figures: Record<string, unknown> = {}
afterAll(() => {
  console.log(`BFD/BIRD interop figures: ${JSON.stringify(figures)}`)
})

describe.each([
  { name: 'keyed SHA1, per-site-pair key', auth: true },
  { name: 'no authentication', auth: false },
])('BFD interop with BIRD 2 ($name)', ({ name, auth }) => {
  let lab: BfdLab | undefined

  afterEach(async () => {
    if (!lab) return
    const l = lab
    lab = undefined
    await l.destroy()
    expect(await l.leftovers()).toEqual([])
  })

  test('up, down on blackhole (both sides, within detection time), up again', async () => {
    lab = new BfdLab(log)
    await lab.create()
    // Two sites' WireGuard keys; each side derives the BFD key on its own (no exchange).
    const ours = generateKeyPair()
    const birds = generateKeyPair()
    const password = deriveBfdPassword(ours.privateKey, birds.publicKey)
    expect(deriveBfdPassword(birds.privateKey, ours.publicKey)).toBe(password)

    await lab.startBird(
      lab.birdConfig({
        intervalMs: INTERVAL_MS,
        multiplier: MULT,
        ...(auth ? { password: deriveBfdPassword(birds.privateKey, ours.publicKey) } : {}),
      }),
    )
    const t0 = Date.now()
    await lab.startOurs({
      intervalMs: INTERVAL_MS,
      detectMult: MULT,
      ...(auth ? { auth: { mode: 'keyed-sha1', keyId: 1, key: password } } : {}),
    })
    const l = lab
    await pollUntil(
      'both sides Up',
      async () => (l.ourState() === 'Up' && (await l.birdState()) === 'Up' ? true : undefined),
      { timeoutMs: 20_000, intervalMs: 20 },
    )
    const upMs = Date.now() - t0
    // BIRD sees our 50 ms x 3 after the poll sequence.
    const bird = await pollUntil(
      'BIRD at 50 ms',
      async () => {
        const s = (await l.birdSessions())[0]
        return s?.interval === '0.050' && s.timeout === '0.150' ? s : undefined
      },
      { timeoutMs: 5_000, intervalMs: 50 },
    )
    expect(bird.state).toBe('Up')
    const snap = await lab.ourSnapshot()
    const session = (snap.sessions as { txIntervalMs: number; detectionTimeMs: number }[])[0]
    expect(session).toMatchObject({ txIntervalMs: 50, detectionTimeMs: 150 })

    // Stable for a while: no flap at 50 ms on the shared VM.
    await new Promise((r) => setTimeout(r, 1_000))
    expect(lab.ourState()).toBe('Up')
    expect(await lab.birdState()).toBe('Up')

    // Blackhole both directions.
    const cut = Date.now()
    await lab.blackhole()
    let birdDownMs: number | undefined
    await pollUntil(
      'both sides Down',
      async () => {
        if (birdDownMs === undefined && (await l.birdState()) === 'Down') {
          birdDownMs = Date.now() - cut
        }
        return birdDownMs !== undefined && l.ourState() === 'Down' ? true : undefined
      },
      { timeoutMs: 5_000, intervalMs: 10 },
    )
    const down = [...lab.events].reverse().find((e) => e.type === 'state' && e.to === 'Down')
    const ourDownMs = (down?.wall ?? Number.NaN) - cut
    expect(down?.diag).toBe(1) // Control Detection Time Expired
    expect(ourDownMs).toBeLessThanOrEqual(DETECTION_MS + DETECTION_MARGIN_MS)
    expect(birdDownMs).toBeLessThanOrEqual(DETECTION_MS + DETECTION_MARGIN_MS)

    // Lift it: Up again on both sides.
    const lifted = Date.now()
    await lab.lift()
    await pollUntil(
      'both sides Up again',
      async () => (l.ourState() === 'Up' && (await l.birdState()) === 'Up' ? true : undefined),
      { timeoutMs: 20_000, intervalMs: 20 },
    )
    const reupMs = Date.now() - lifted

    const after = await lab.ourSnapshot()
    const counters = after.counters as { dropped: Record<string, number>; accepted: number }
    const drops = Object.entries(counters.dropped).filter(([, n]) => n > 0)
    expect(drops).toEqual([])
    expect(counters.accepted).toBeGreaterThan(20)
    figures[name] = { upMs, ourDownMs, birdDownMs, reupMs, accepted: counters.accepted }
    log(`${name}: ${JSON.stringify(figures[name])}`)
  })
})
