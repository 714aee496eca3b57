import { describe, expect, it } from 'vitest'
import type { AuthConfig } from './auth'
import { Diag, State } from './constants'
import { jitteredMs } from './negotiation'
import { type ControlPacket, decodeControlPacket } from './packet'
import { BfdSession, type SessionOptions, type StateChange } from './session'
import { ManualTimers } from './testing'

interface Wire {
  at: number
  packet: ControlPacket
  raw: Buffer
}

/** Two sessions joined by a fake link with 1 ms of delay that a test can cut. */
function pair(a: Partial<SessionOptions> = {}, b: Partial<SessionOptions> = {}, seed = 0.5) {
  const clock = new ManualTimers()
  const link = { up: true }
  const sentByA: Wire[] = []
  const sentByB: Wire[] = []
  const events: { a: StateChange[]; b: StateChange[] } = { a: [], b: [] }
  // mulberry32: deterministic jitter per test.
  let s = Math.floor(seed * 2 ** 32) >>> 0
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const sessions: { a?: BfdSession; b?: BfdSession } = {}
  const wire = (log: Wire[], to: () => BfdSession | undefined) => (raw: Buffer) => {
    const r = decodeControlPacket(raw)
    if (!r.ok) throw new Error(`sent an invalid packet: ${r.reason}`)
    log.push({ at: clock.now(), packet: r.packet, raw })
    if (!link.up) return
    clock.setTimer(1, () => to()?.receive(r.packet, raw))
  }
  sessions.a = new BfdSession(
    { localDiscriminator: 0xa, ...a },
    { clock, send: wire(sentByA, () => sessions.b), random },
  )
  sessions.b = new BfdSession(
    { localDiscriminator: 0xb, ...b },
    { clock, send: wire(sentByB, () => sessions.a), random },
  )
  sessions.a.on('state', (e) => events.a.push(e))
  sessions.b.on('state', (e) => events.b.push(e))
  return { clock, link, a: sessions.a, b: sessions.b, sentByA, sentByB, events }
}

function bringUp(p: ReturnType<typeof pair>): number {
  const start = p.clock.now()
  p.a.start()
  p.b.start()
  for (let i = 0; i < 10_000 && (p.a.state !== 'Up' || p.b.state !== 'Up'); i++) p.clock.advance(1)
  expect(p.a.state).toBe('Up')
  expect(p.b.state).toBe('Up')
  // Let the poll sequences of sec. 6.8.3 (leaving the 1 s rate) finish.
  p.clock.advance(100)
  return p.clock.now() - start
}

describe('BfdSession state machine (RFC 5880 sec. 6.2, 6.8.6)', () => {
  it('comes up Down -> Init -> Up on both sides, with no diagnostic', () => {
    const p = pair()
    bringUp(p)
    const path = (e: StateChange[]) => e.map((x) => `${x.from}>${x.to}`)
    // One side sees Down (Down -> Init), the other answers Init (Down -> Up) or both pass Init.
    expect(path(p.events.a).at(-1)).toMatch(/>Up$/)
    expect(path(p.events.b).at(-1)).toMatch(/>Up$/)
    expect([...path(p.events.a), ...path(p.events.b)]).toContain('Down>Init')
    expect(p.events.a.every((e) => e.diag === Diag.None)).toBe(true)
    expect(p.a.snapshot()).toMatchObject({ remoteDiscriminator: 0xb, remoteState: 'Up' })
    expect(p.a.counters.dropped.authDigest).toBe(0)
  })

  it('sends slowly (>= 1 s advertised, sec. 6.8.3) while not Up, fast once Up', () => {
    const p = pair()
    p.a.start()
    p.clock.advance(5_000) // b not started: a stays Down
    const down = p.sentByA
    expect(down.length).toBeGreaterThanOrEqual(5)
    expect(down.length).toBeLessThanOrEqual(7)
    for (const w of down) expect(w.packet.desiredMinTxUs).toBe(1_000_000)
    for (let i = 1; i < down.length; i++) {
      expect(down[i]!.at - down[i - 1]!.at).toBeGreaterThanOrEqual(750)
    }
    p.b.start()
    p.clock.advance(3_000)
    expect(p.a.state).toBe('Up')
    const last = p.sentByA.at(-1)!
    expect(last.packet.desiredMinTxUs).toBe(50_000)
    expect(p.a.snapshot().txIntervalMs).toBe(50)
  })

  it('goes Down with diag 1 when the detection time expires, and comes back', () => {
    const p = pair()
    bringUp(p)
    expect(p.a.snapshot().detectionTimeMs).toBe(150)
    p.link.up = false
    const cut = p.clock.now()
    const took = { a: 0, b: 0 }
    for (let i = 0; i < 1000 && (!took.a || !took.b); i++) {
      p.clock.advance(1)
      if (!took.a && p.a.state === 'Down') took.a = p.clock.now() - cut
      if (!took.b && p.b.state === 'Down') took.b = p.clock.now() - cut
    }
    // Detection time is 150 ms from the last packet, which left up to 50 ms before the cut.
    for (const t of [took.a, took.b]) {
      expect(t).toBeGreaterThan(95)
      expect(t).toBeLessThanOrEqual(151)
    }
    expect(p.events.a.at(-1)).toMatchObject({ from: 'Up', to: 'Down', diag: 1 })
    expect(p.a.snapshot()).toMatchObject({ remoteDiscriminator: 0, txIntervalMs: 1000 })
    p.link.up = true
    p.clock.advance(4_000)
    expect(p.a.state).toBe('Up')
    expect(p.b.state).toBe('Up')
  })

  it('goes Down with diag 3 when the remote signals AdminDown, and does not time out', () => {
    const p = pair()
    bringUp(p)
    p.b.adminDown()
    p.clock.advance(5)
    expect(p.a.state).toBe('Down')
    expect(p.events.a.at(-1)).toMatchObject({ diag: Diag.NeighborSignaledSessionDown })
    expect(p.events.b.at(-1)).toMatchObject({ to: 'AdminDown', diag: Diag.AdministrativelyDown })
    p.clock.advance(3_000)
    expect(p.a.state).toBe('Down')
    expect(p.b.state).toBe('AdminDown')
    expect(p.b.counters.dropped.adminDown).toBeGreaterThan(0)
    p.b.adminUp()
    p.clock.advance(4_000)
    expect(p.a.state).toBe('Up')
    expect(p.b.state).toBe('Up')
  })

  it('goes Down with diag 3 when an Up remote reports Down', () => {
    const p = pair()
    bringUp(p)
    // A forged Down from b's discriminator (e.g. b restarted and lost its session).
    const raw = p.sentByB.at(-1)!.raw
    const pkt = { ...p.sentByB.at(-1)!.packet, state: State.Down as State }
    p.a.receive(pkt, raw)
    expect(p.a.state).toBe('Down')
    expect(p.events.a.at(-1)).toMatchObject({ from: 'Up', diag: 3 })
  })
})

describe('timer negotiation (sec. 6.8.2, 6.8.4)', () => {
  it('sends at the slower of our TX and their RX; detects at their mult x slower of our RX and their TX', () => {
    const p = pair(
      { desiredMinTxMs: 50, requiredMinRxMs: 50, detectMult: 3 },
      { desiredMinTxMs: 100, requiredMinRxMs: 200, detectMult: 5 },
    )
    bringUp(p)
    expect(p.a.snapshot()).toMatchObject({ txIntervalMs: 200, detectionTimeMs: 5 * 100 })
    expect(p.b.snapshot()).toMatchObject({ txIntervalMs: 100, detectionTimeMs: 3 * 200 })
    const start = p.sentByA.length
    p.clock.advance(2_000)
    const gaps = p.sentByA.slice(start).map((w, i, all) => (i ? w.at - all[i - 1]!.at : 0))
    for (const g of gaps.slice(1)) {
      expect(g).toBeGreaterThanOrEqual(150)
      expect(g).toBeLessThanOrEqual(200)
    }
  })

  it('stays up for a long time on a clean link', () => {
    const p = pair()
    bringUp(p)
    p.clock.advance(60_000)
    expect(p.events.a.at(-1)?.to).toBe('Up')
    expect(p.events.a.length).toBeLessThanOrEqual(2)
  })
})

describe('poll/final (sec. 6.5, 6.8.3)', () => {
  it('polls for a change, answers with Final, and holds a slower TX until the Final', () => {
    const p = pair()
    bringUp(p)
    p.link.up = false // hold the Final back
    p.a.setParameters({ desiredMinTxMs: 300 })
    const polled = p.sentByA.at(-1)!
    expect(polled.packet.poll).toBe(true)
    expect(polled.packet.desiredMinTxUs).toBe(300_000)
    expect(p.a.snapshot()).toMatchObject({ pollActive: true, txIntervalMs: 50 })
    p.link.up = true
    p.clock.advance(60)
    const finals = p.sentByB.filter((w) => w.packet.final)
    expect(finals.length).toBeGreaterThan(0)
    expect(finals.every((w) => !w.packet.poll)).toBe(true)
    expect(p.a.snapshot()).toMatchObject({ pollActive: false, txIntervalMs: 300 })
    // b now detects a's loss over 3 x 300 ms.
    expect(p.b.snapshot().detectionTimeMs).toBe(900)
    p.clock.advance(5_000)
    expect(p.a.state).toBe('Up')
    expect(p.b.state).toBe('Up')
  })

  it('keeps the old (longer) RX for detection until the Final when RX is reduced', () => {
    const p = pair({ requiredMinRxMs: 300 }, { desiredMinTxMs: 50 })
    bringUp(p)
    expect(p.a.snapshot().detectionTimeMs).toBe(900)
    p.link.up = false
    p.a.setParameters({ requiredMinRxMs: 50 })
    expect(p.a.snapshot().detectionTimeMs).toBe(900)
    p.link.up = true
    p.clock.advance(400)
    expect(p.a.snapshot()).toMatchObject({ pollActive: false, detectionTimeMs: 150 })
  })
})

describe('jitter (sec. 6.8.7)', () => {
  it('is 75-100% of the interval, 75-90% when detect mult is 1', () => {
    for (const r of [0, 0.25, 0.5, 0.999, 1]) {
      const j = jitteredMs(100_000, 3, () => r)
      expect(j).toBeGreaterThanOrEqual(75)
      expect(j).toBeLessThanOrEqual(100)
      const k = jitteredMs(100_000, 1, () => r)
      expect(k).toBeGreaterThanOrEqual(75)
      expect(k).toBeLessThanOrEqual(90)
    }
  })

  it('spreads the gaps between periodic packets within the bounds', () => {
    for (const mult of [1, 3]) {
      const p = pair({ detectMult: mult }, { detectMult: mult }, 0.123)
      bringUp(p)
      const from = p.sentByA.length
      p.clock.advance(10_000)
      const periodic = p.sentByA.slice(from).filter((w) => !w.packet.final)
      const gaps = periodic.slice(1).map((w, i) => w.at - periodic[i]!.at)
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(37.5 - 1)
      expect(Math.max(...gaps)).toBeLessThanOrEqual(mult === 1 ? 45 + 1 : 50 + 1)
      expect(new Set(gaps).size).toBeGreaterThan(5)
    }
  })
})

describe('authenticated sessions (sec. 6.7)', () => {
  const sha1 = (key: string, mode: AuthConfig['mode'] = 'keyed-sha1'): Partial<SessionOptions> => ({
    auth: { mode, keyId: 1, key },
  })

  it('comes up with keyed and meticulous keyed SHA1', () => {
    for (const mode of ['keyed-sha1', 'meticulous-keyed-sha1'] as const) {
      const p = pair(sha1('k1', mode), sha1('k1', mode))
      bringUp(p)
      expect(p.sentByA.at(-1)!.packet.auth?.type).toBe(mode === 'keyed-sha1' ? 4 : 5)
      p.clock.advance(5_000)
      expect(p.a.state).toBe('Up')
    }
  })

  it('never comes up with a wrong key, and counts why', () => {
    const p = pair(sha1('right'), sha1('wrong'))
    p.a.start()
    p.b.start()
    p.clock.advance(5_000)
    expect(p.a.state).toBe('Down')
    expect(p.a.counters.dropped.authDigest).toBeGreaterThanOrEqual(4)
    expect(p.a.counters.accepted).toBe(0)
  })

  it('drops a replayed packet (meticulous) and an unauthenticated one', () => {
    const p = pair(sha1('k', 'meticulous-keyed-sha1'), sha1('k', 'meticulous-keyed-sha1'))
    bringUp(p)
    const old = p.sentByB.at(-3)!
    expect(p.a.receive(old.packet, old.raw)).toBe('authSequence')
    const plain = pair()
    bringUp(plain)
    const unauth = plain.sentByB.at(-1)!
    expect(p.a.receive(unauth.packet, unauth.raw)).toBe('authMissing')
    expect(plain.a.receive(p.sentByB.at(-1)!.packet, p.sentByB.at(-1)!.raw)).toBe('authUnexpected')
    expect(p.a.counters.dropped).toMatchObject({ authSequence: 1, authMissing: 1 })
    expect(p.a.state).toBe('Up')
  })
})

describe('lifecycle', () => {
  it('stop() is idempotent and silences the session', () => {
    const p = pair()
    bringUp(p)
    p.a.stop()
    p.a.stop()
    const n = p.sentByA.length
    p.clock.advance(1_000)
    expect(p.sentByA.length).toBe(n)
    expect(p.clock.pending).toBeGreaterThanOrEqual(0)
  })

  it('a passive session waits for the remote', () => {
    const p = pair({ passive: true })
    p.a.start()
    p.clock.advance(3_000)
    expect(p.sentByA.length).toBe(0)
    p.b.start()
    p.clock.advance(3_000)
    expect(p.a.state).toBe('Up')
  })

  it('rejects bad parameters', () => {
    const clock = new ManualTimers()
    const send = () => {}
    expect(() => new BfdSession({ localDiscriminator: 0 }, { clock, send })).toThrow()
    expect(
      () => new BfdSession({ localDiscriminator: 1, detectMult: 0 }, { clock, send }),
    ).toThrow()
    expect(
      () => new BfdSession({ localDiscriminator: 1, desiredMinTxMs: 0 }, { clock, send }),
    ).toThrow()
  })
})
