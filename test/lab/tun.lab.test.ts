/**
 * The agent's TUN device (agent/optimizer/tunnel/tun.ts) in a lab namespace: created through koffi
 * (TUNSETIFF), set up over rtnetlink, read by the shared poller without blocking the event
 * loop, written to, and removed on close. The child (tun-child.ts) echoes 20,000 UDP packets
 * sent in bursts through the TUN and measures the event loop's delay while busy and idle.
 */
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { cleanupStale, Lab, labLeftovers } from './harness'

const CHILD = fileURLToPath(new URL('./tun-child.ts', import.meta.url))
const COUNT = 20_000

let lab: Lab

beforeAll(async () => {
  await cleanupStale()
  lab = await Lab.create({ sites: 1, uplinks: 1 })
}, 60_000)

afterAll(async () => {
  const runId = lab?.runId
  await lab?.destroy()
  expect(await labLeftovers(runId)).toEqual({
    namespaces: [],
    sockets: [],
    processes: [],
    nftTables: [],
  })
}, 60_000)

describe('TunDevice and TunPoller', () => {
  test('echo 20,000 packets through a TUN without blocking the event loop; close removes it', async () => {
    const name = `${lab.names.prefix}tun`
    const res = await lab.exec(
      lab.site(0).ns,
      process.execPath,
      ['--import', 'tsx', CHILD, name, String(COUNT)],
      60_000,
    )
    expect(res.code, res.stderr).toBe(0)
    const r = JSON.parse(res.stdout) as {
      sent: number
      read: number
      echoed: number
      received: number
      wakeups: number
      busyWakeups: number
      idleWakeups: number
      rttMs: { p50: number; p99: number }
      loopDelayMs: { busy: { p99: number; max: number }; idle: { p99: number; max: number } }
      gone: boolean
    }
    console.log(`tun figures: ${JSON.stringify(r)}`)
    expect(r.sent).toBe(COUNT)
    // A TUN queue may drop under bursts (txqueuelen 500); nearly all must make the round trip.
    expect(r.received).toBeGreaterThan(COUNT * 0.95)
    expect(r.echoed).toBeGreaterThanOrEqual(r.received)
    // Reads are batched: far fewer thread hops than packets.
    expect(r.busyWakeups).toBeLessThan(r.read / 2)
    // Idle, the poll times out on its worker thread (100 ms) and the loop stays free.
    expect(r.idleWakeups).toBeLessThanOrEqual(12)
    expect(r.loopDelayMs.idle.max).toBeLessThan(50)
    // Busy, the loop is never held for long (bounded batches), even on a loaded 2-core host.
    expect(r.loopDelayMs.busy.p99).toBeLessThan(50)
    expect(r.gone).toBe(true)
  }, 90_000)
})
