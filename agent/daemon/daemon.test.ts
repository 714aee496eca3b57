import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { PROTOCOL_VERSION } from '../../protocol/version'
import { FakeClock } from '../clock/fake'
import { createControlClient, type FetchLike, MAX_DESIRED_STATE_BYTES } from '../control'
import { RecordingPipeline } from '../pipeline'
import { type DesiredStateStore, fileStore, statePaths } from '../state'
import { FakeControlPlane } from '../testing/fake-control-plane'
import { desiredState, peer } from '../testing/fixtures'
import { captureLogger, drive, InflightFetch, MemoryStore, testSigner } from '../testing/harness'
import { Daemon, type DaemonOptions, REVOKED_MESSAGE } from './daemon'

const dirs: string[] = []
const stops: AbortController[] = []
afterEach(async () => {
  // Stop any daemon a failed test left running, then remove its state.
  for (const stop of stops.splice(0)) stop.abort()
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

interface Setup {
  store?: DesiredStateStore
  fetch?: FetchLike
  options?: Partial<DaemonOptions>
}

function setup({ store = new MemoryStore(), fetch, options }: Setup = {}) {
  const cp = new FakeControlPlane()
  const { signer, publicKey } = testSigner(cp.agentId)
  cp.identityPublicKey = publicKey
  const clock = new FakeClock()
  // Late-bound, so a test may wrap cp.fetch after setup.
  const net = new InflightFetch(fetch ?? ((url, init) => cp.fetch(url, init)))
  const log = captureLogger()
  const pipeline = new RecordingPipeline(log.logger)
  const daemon = new Daemon({
    client: createControlClient({ serverUrl: 'https://cp.test', signer, fetch: net.fetch, clock }),
    pipeline,
    store,
    clock,
    logger: log.logger,
    random: () => 0.5,
    agentVersion: '9.9.9',
    uplinkNames: ['fiber'],
    ...(options ? { options } : {}),
  })
  const stop = new AbortController()
  stops.push(stop)
  let exit: string | undefined
  const start = () => {
    const run = daemon.run(stop.signal)
    void run.then((e) => {
      exit = e
    })
    return run
  }
  return { cp, clock, net, log, pipeline, daemon, stop, store, start, exit: () => exit }
}

const configRequests = (cp: FakeControlPlane) =>
  cp.requests.filter((r) => r.url.includes('/v1/agent/config'))

describe('daemon', () => {
  it('applies the cached state before contacting the server, then a new revision', async () => {
    const store = new MemoryStore(desiredState(1))
    const t = setup({ store })
    t.cp.state = desiredState(2, { peers: [peer('site_b')] })
    let plansAtFirstRequest: number | undefined
    const original = t.cp.fetch
    t.cp.fetch = async (url, init) => {
      plansAtFirstRequest ??= t.pipeline.plans.length
      return original(url, init)
    }
    const run = t.start()
    await drive(t.clock, t.net, () => t.pipeline.plans.length >= 2)
    expect(plansAtFirstRequest).toBe(1)
    expect(t.pipeline.plans.map((p) => p.revision)).toEqual([1, 2])
    expect(t.pipeline.plans[1]?.added).toEqual(['site_b'])
    expect(store.state?.revision).toBe(2)
    expect(store.status?.revision).toBe(2)
    const first = configRequests(t.cp)[0]
    expect(first?.url).toBe('https://cp.test/v1/agent/config?wait=55')
    expect(first?.headers['if-none-match']).toBe('"1", "m-none"')
    t.stop.abort()
    expect(await run).toBe('stopped')
  })

  it('after an in-place upgrade, refetches a cached document served for the older protocol', async () => {
    // Same revision, but a v1 document lacks what v2 adds (the control plane strips it).
    const store = new MemoryStore(desiredState(1, { protocolVersion: PROTOCOL_VERSION - 1 }))
    const t = setup({ store })
    t.cp.state = desiredState(1)
    const run = t.start()
    await drive(t.clock, t.net, () => t.pipeline.plans.length >= 2)
    const [first] = configRequests(t.cp)
    expect(first?.headers['if-none-match']).toBeUndefined()
    expect(first?.headers['patronus-protocol']).toBe(String(PROTOCOL_VERSION))
    expect(store.state?.protocolVersion).toBe(PROTOCOL_VERSION)
    await drive(t.clock, t.net, () => configRequests(t.cp).length >= 2)
    // From then on, the usual conditional polls.
    expect(configRequests(t.cp)[1]?.headers['if-none-match']).toBe('"1", "m-none"')
    t.stop.abort()
    await run
  })

  it('on 304 neither re-caches nor reconfigures, and paces immediate answers', async () => {
    const store = new MemoryStore(desiredState(1))
    const t = setup({ store })
    const run = t.start()
    await drive(t.clock, t.net, () => configRequests(t.cp).length >= 4)
    expect(t.pipeline.plans).toHaveLength(1)
    expect(store.saves).toBe(0)
    expect(store.status?.revision).toBe(1)
    for (const request of configRequests(t.cp)) {
      expect(request.headers['if-none-match']).toBe('"1", "m-none"')
    }
    // A server answering a long-poll at once costs one poll per ~second, not a busy loop.
    expect(t.clock.sleeps.filter((ms) => ms === 900).length).toBeGreaterThanOrEqual(3)
    t.stop.abort()
    await run
  })

  it('backs off exponentially with jitter up to the cap and logs the streak once', async () => {
    const t = setup({ options: { defaultHeartbeatSeconds: 1_000 } })
    t.cp.down = true
    const backoffs = () => t.clock.sleeps.filter((ms) => ![30_000, 85_000, 900_000].includes(ms))
    const run = t.start()
    await drive(t.clock, t.net, () => backoffs().length >= 9)
    // min 1 s doubling to the 60 s cap, each shortened by jitter (random 0.5 -> x0.9).
    expect(backoffs().slice(0, 9)).toEqual([
      900, 1_800, 3_600, 7_200, 14_400, 28_800, 54_000, 54_000, 54_000,
    ])
    const errors = t.log.messages().filter((m) => m === 'config sync failed; retrying with backoff')
    expect(errors).toHaveLength(1)
    t.cp.down = false
    await drive(t.clock, t.net, () => t.pipeline.plans.length === 1)
    expect(t.log.messages()).toContain('config sync recovered')
    t.stop.abort()
    await run
  })

  it('waits as long as a 429 asks (Retry-After) before polling again, then syncs', async () => {
    const t = setup()
    t.cp.state = desiredState(2)
    const real = t.cp.fetch
    let limited = 1
    t.cp.fetch = async (url, init) => {
      if (url.includes('/v1/agent/config') && limited-- > 0) {
        const body = { type: 'https://patronus.dev/problems/rate-limited', title: 'Too many' }
        return new Response(JSON.stringify(body), {
          status: 429,
          headers: { 'content-type': 'application/problem+json', 'retry-after': '45' },
        })
      }
      return real(url, init)
    }
    const run = t.start()
    await drive(t.clock, t.net, () => t.pipeline.plans.length === 1)
    // Our own backoff would have retried after 900 ms; the control plane asked for 45 s.
    expect(t.clock.sleeps).toContain(45_000)
    t.stop.abort()
    await run
  })

  it('fail-static across a restart: a fresh daemon reconfigures from disk with the server down', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'patronus-daemon-'))
    dirs.push(dir)
    const first = setup({ store: fileStore(statePaths(dir)) })
    first.cp.state = desiredState(5, { peers: [peer('site_b')] })
    const run1 = first.start()
    await drive(first.clock, first.net, () => first.pipeline.plans.length === 1)
    first.stop.abort()
    expect(await run1).toBe('stopped')
    expect(first.pipeline.isClosed).toBe(true)

    const second = setup({ store: fileStore(statePaths(dir)) })
    second.cp.down = true
    const run2 = second.start()
    await drive(second.clock, second.net, () => second.cp.requests.length >= 3)
    expect(second.pipeline.plans.map((p) => p.revision)).toEqual([5])
    expect(second.pipeline.plans[0]?.added).toEqual(['site_b'])
    expect(second.daemon.desired?.revision).toBe(5)
    second.stop.abort()
    await run2
  })

  it('fail-static on an oversized desired state: logged as a failed sync, the last config kept', async () => {
    const store = new MemoryStore(desiredState(1))
    // A path attacker answers the config with a body past the 8 MiB cap, without a length.
    let hostile = true
    const t = setup({
      store,
      fetch: async (url, init) => {
        if (!hostile || !url.includes('/v1/agent/config')) return t.cp.fetch(url, init)
        const big = JSON.stringify(desiredState(9, { peers: [peer('site_evil')] }))
        return new Response(`${' '.repeat(MAX_DESIRED_STATE_BYTES)}${big}`)
      },
    })
    const run = t.start()
    await drive(t.clock, t.net, () =>
      t.log.messages().includes('config sync failed; retrying with backoff'),
    )
    const line = t.log.lines.map((l) => JSON.parse(l)).find((l) => l.msg.startsWith('config sync'))
    expect(line.err).toBe(
      `fetch desired state: the answer is over ${MAX_DESIRED_STATE_BYTES} bytes`,
    )
    expect(t.pipeline.plans.map((p) => p.revision)).toEqual([1])
    expect(store.state?.revision).toBe(1)
    expect(store.saves).toBe(0)
    hostile = false
    t.cp.state = desiredState(2)
    await drive(t.clock, t.net, () => t.pipeline.plans.length === 2)
    expect(t.pipeline.plans.map((p) => p.revision)).toEqual([1, 2])
    t.stop.abort()
    await run
  })

  it('ignores a corrupt cache (logged) and syncs from the server', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'patronus-daemon-'))
    dirs.push(dir)
    await writeFile(statePaths(dir).desiredState, '{not json')
    const t = setup({ store: fileStore(statePaths(dir)) })
    const run = t.start()
    await drive(t.clock, t.net, () => t.pipeline.plans.length === 1)
    expect(t.log.messages()).toContain('ignoring the cached desired state')
    expect((await fileStore(statePaths(dir)).load())?.revision).toBe(1)
    t.stop.abort()
    await run
  })

  it('on revocation stops syncing and heartbeating, closes the pipeline (tunnels and routes go), resolves revoked', async () => {
    const store = new MemoryStore(desiredState(1))
    const t = setup({ store })
    t.cp.revoked = true
    const exit = await t.start()
    expect(exit).toBe('revoked')
    // A revoked site is out of the network: unlike an unreachable control plane (fail-static).
    expect(t.pipeline.isClosed).toBe(true)
    expect(t.pipeline.applied?.revision).toBe(1)
    expect(t.log.messages()).toContain(REVOKED_MESSAGE)
    const sent = t.cp.requests.length
    for (let i = 0; i < 10; i++) t.clock.advanceToNext()
    await new Promise((r) => setTimeout(r, 20))
    expect(t.cp.requests.length).toBe(sent)
    expect(t.clock.pending).toBe(0)
  })

  it('on stop aborts the in-flight long-poll and closes the pipeline', async () => {
    let configSignal: AbortSignal | undefined
    const hanging: FetchLike = (url, init) => {
      if (!url.includes('/config')) return Promise.resolve(new Response(null, { status: 204 }))
      configSignal = init.signal ?? undefined
      return new Promise((_resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason))
      })
    }
    const t = setup({ fetch: hanging })
    const run = t.start()
    const deadline = Date.now() + 5_000
    while (!configSignal && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1))
    expect(configSignal?.aborted).toBe(false)
    t.stop.abort()
    expect(await run).toBe('stopped')
    expect(configSignal?.aborted).toBe(true)
    expect(t.pipeline.isClosed).toBe(true)
  })

  it('heartbeats at the desired interval with version, uptime, revision and unknown uplinks', async () => {
    const t = setup({ store: new MemoryStore(desiredState(3, { heartbeatIntervalSeconds: 10 })) })
    t.cp.state = desiredState(3, { heartbeatIntervalSeconds: 10 })
    const run = t.start()
    await drive(t.clock, t.net, () => t.cp.heartbeats.length >= 3)
    expect(t.cp.heartbeats[0]).toEqual({
      agentVersion: '9.9.9',
      uptimeSeconds: 0,
      revision: 3,
      uplinks: [{ name: 'fiber', state: 'unknown' }],
    })
    // 10 s interval, jittered by random 0.5 -> 9 s between heartbeats.
    expect(t.clock.sleeps).toContain(9_000)
    const uptimes = t.cp.heartbeats.map((h) => (h as { uptimeSeconds: number }).uptimeSeconds)
    expect(uptimes[2]).toBeGreaterThan(uptimes[1]!)
    expect(uptimes[1]).toBeGreaterThan(0)
    t.stop.abort()
    await run
  })
})
