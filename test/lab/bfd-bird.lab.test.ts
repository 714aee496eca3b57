/**
 * BFD interop with BIRD 2: our BFD (agent/probes/bfd, in a child process in its
 * own namespace) and BIRD's BFD on the two ends of a veth pair, 50 ms x 3. The session
 * comes Up on both sides; a blackhole (nftables drop: both directions, then each direction
 * alone) is detected by both sides within the detection time plus a margin; lifting it
 * brings the session Up again. Run with keyed SHA1 and meticulous keyed SHA1 (the key
 * derived per site pair, as production does) and without authentication.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import type { AuthMode } from '../../agent/probes/bfd'
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
  console.log(`BFD/BIRD interop figures (ms): ${JSON.stringify(figures, null, 1)}`)
})

async function bothUp(lab: BfdLab): Promise<void> {
  await pollUntil(
    'both sides Up',
    async () => (lab.ourState() === 'Up' && (await lab.birdState()) === 'Up' ? true : undefined),
    { timeoutMs: 20_000, intervalMs: 20 },
  )
}

/** Blackholes `direction`, measures when each side reports Down, lifts, waits for Up. */
async function cycle(lab: BfdLab, direction: 'both' | 'in' | 'out') {
  const eventsBefore = lab.events.length
  const cut = Date.now()
  await lab.blackhole(direction)
  let birdDownMs: number | undefined
  await pollUntil(
    `both sides Down (${direction})`,
    async () => {
      if (birdDownMs === undefined && (await lab.birdState()) === 'Down') {
        birdDownMs = Date.now() - cut
      }
      return birdDownMs !== undefined && lab.ourState() === 'Down' ? true : undefined
    },
    { timeoutMs: 5_000, intervalMs: 10 },
  )
  const down = lab.events.slice(eventsBefore).find((e) => e.type === 'state' && e.to === 'Down')
  const ourDownMs = (down?.wall ?? Number.NaN) - cut
  const lifted = Date.now()
  await lab.lift()
  await bothUp(lab)
  return {
    ourDownMs,
    birdDownMs: birdDownMs ?? Number.NaN,
    ourDiag: down?.diag,
    reupMs: Date.now() - lifted,
  }
}

describe.each<{ name: string; mode?: AuthMode; bird?: 'keyed sha1' | 'meticulous keyed sha1' }>([
  { name: 'keyed SHA1', mode: 'keyed-sha1', bird: 'keyed sha1' },
  { name: 'meticulous keyed SHA1', mode: 'meticulous-keyed-sha1', bird: 'meticulous keyed sha1' },
  { name: 'no auth' },
])('BFD interop with BIRD 2 ($name)', ({ name, mode, bird }) => {
  let lab: BfdLab | undefined

  afterEach(async () => {
    if (!lab) return
    const l = lab
    lab = undefined
    await l.destroy()
    expect(await l.leftovers()).toEqual([])
  })

  test('Up; Down on blackhole (both ways, inbound, outbound) within detection time; Up again', async () => {
    lab = new BfdLab(log)
    await lab.create()
    // Two sites' WireGuard keys; each side derives the BFD key on its own (no exchange).
    const ours = generateKeyPair()
    const birds = generateKeyPair()
    const ourKey = deriveBfdPassword(ours.privateKey, birds.publicKey)
    const birdKey = deriveBfdPassword(birds.privateKey, ours.publicKey)
    expect(birdKey).toBe(ourKey)

    await lab.startBird(
      lab.birdConfig({
        intervalMs: INTERVAL_MS,
        multiplier: MULT,
        ...(bird ? { auth: { mode: bird, password: birdKey } } : {}),
      }),
    )
    const t0 = Date.now()
    await lab.startOurs({
      intervalMs: INTERVAL_MS,
      detectMult: MULT,
      ...(mode ? { auth: { mode, keyId: 1, key: ourKey } } : {}),
    })
    const l = lab
    await bothUp(lab)
    const upMs = Date.now() - t0
    // Both ends settle on 50 ms x 3 once the poll sequences (sec. 6.8.3) are done.
    const birdView = await pollUntil(
      'BIRD at 50 ms x 3',
      async () => {
        const s = (await l.birdSessions())[0]
        return s?.interval === '0.050' && s.timeout === '0.150' ? s : undefined
      },
      { timeoutMs: 5_000, intervalMs: 50 },
    )
    expect(birdView.state).toBe('Up')
    const snap = await lab.ourSnapshot()
    const session = (snap.sessions as { txIntervalMs: number; detectionTimeMs: number }[])[0]
    expect(session).toMatchObject({ txIntervalMs: INTERVAL_MS, detectionTimeMs: DETECTION_MS })

    // Stable for a second: no flap at 50 ms on the shared VM.
    await new Promise((r) => setTimeout(r, 1_000))
    expect(lab.ourState()).toBe('Up')
    expect(await lab.birdState()).toBe('Up')

    const both = await cycle(lab, 'both')
    expect(both.ourDiag).toBe(1) // Control Detection Time Expired
    const inbound = await cycle(lab, 'in')
    expect(inbound.ourDiag).toBe(1) // we stop hearing BIRD
    const outbound = await cycle(lab, 'out')
    expect(outbound.ourDiag).toBe(3) // BIRD times out and tells us: Neighbor Signaled Down
    for (const c of [both, inbound, outbound]) {
      expect(c.ourDownMs).toBeLessThanOrEqual(DETECTION_MS + DETECTION_MARGIN_MS)
      expect(c.birdDownMs).toBeLessThanOrEqual(DETECTION_MS + DETECTION_MARGIN_MS)
    }

    const after = await lab.ourSnapshot()
    const counters = after.counters as { dropped: Record<string, number>; accepted: number }
    expect(Object.entries(counters.dropped).filter(([, n]) => n > 0)).toEqual([])
    expect(counters.accepted).toBeGreaterThan(20)
    figures[name] = { upMs, both, inbound, outbound, accepted: counters.accepted }
    log(`${name}: ${JSON.stringify(figures[name])}`)
  })
})
