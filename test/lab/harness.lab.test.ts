/**
 * The lab harness itself: impairments do what they say, a killed run leaves nothing, and
 * cleanupStale() removes our dead runs only.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { isAlive, pollUntil, run } from './exec'
import { cleanupStale, Lab, labLeftovers } from './harness'
import { OWNER_DIR } from './names'

let lab: Lab

beforeAll(async () => {
  await cleanupStale()
  lab = await Lab.create({ sites: 2, uplinks: 2 })
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

async function pingLoss(count: number): Promise<number> {
  const target = lab.uplink(1, 0).address
  const res = await lab.exec(lab.site(0).ns, 'ping', [
    '-n',
    '-q',
    '-c',
    String(count),
    '-i',
    '0.005',
    '-W',
    '1',
    target,
  ])
  const m = /(\d+(?:\.\d+)?)% packet loss/.exec(res.stdout)
  return m?.[1] ? Number(m[1]) : Number.NaN
}

describe('lab harness', () => {
  test('names fit in 15 characters and the control plane is reachable from every site', async () => {
    for (const site of lab.sites) {
      for (const u of site.uplinks) expect(u.ifname.length).toBeLessThanOrEqual(15)
      const res = await lab.exec(site.ns, 'ping', ['-n', '-c', '1', '-W', '2', lab.cp.address])
      expect(res.code).toBe(0)
    }
  })

  test('blackhole drops everything; lifting it restores the path', async () => {
    await lab.impair(1, 0, { blackhole: true })
    expect(await pingLoss(5)).toBe(100)
    await lab.impair(1, 0, {})
    expect(await pingLoss(5)).toBe(0)
  })

  test('loss 30% drops roughly 30% of packets on that uplink', async () => {
    // Site 1 answers from uplink 0 (its main default route), so only requests cross 1/0's
    // impairment once and replies once: expected loss 1 - 0.7^2 = 51%.
    await lab.impair(1, 0, { lossPct: 30 })
    const loss = await pingLoss(300)
    await lab.impair(1, 0, {})
    expect(loss).toBeGreaterThan(35)
    expect(loss).toBeLessThan(67)
  }, 30_000)

  test('rate limit installs tbf on both ends and removes it', async () => {
    await lab.impair(0, 1, { rateMbit: 20 })
    const wan = await run('tc', [
      '-n',
      lab.wanNs,
      'qdisc',
      'show',
      'dev',
      lab.uplink(0, 1).wanIfname,
    ])
    const site = await run('tc', [
      '-n',
      lab.site(0).ns,
      'qdisc',
      'show',
      'dev',
      lab.uplink(0, 1).ifname,
    ])
    expect(wan.stdout).toMatch(/tbf .*rate 20Mbit/)
    expect(site.stdout).toMatch(/tbf .*rate 20Mbit/)
    await lab.impair(0, 1, {})
    const after = await run('tc', [
      '-n',
      lab.wanNs,
      'qdisc',
      'show',
      'dev',
      lab.uplink(0, 1).wanIfname,
    ])
    expect(after.stdout).not.toMatch(/tbf/)
  })

  test('a run killed with SIGTERM tears its lab down', async () => {
    const demo = fileURLToPath(new URL('./demo.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', demo], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d
    })
    const runId = await pollUntil(
      'demo lab up',
      () => /Patronus WAN lab ([0-9a-f]{4})[\s\S]*Ctrl-C/.exec(out)?.[1],
      {
        timeoutMs: 30_000,
      },
    )
    expect((await labLeftovers(runId)).namespaces.length).toBeGreaterThan(0)
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    )
    child.kill('SIGTERM')
    expect(await exited).toBe(143)
    expect(await labLeftovers(runId)).toEqual({
      namespaces: [],
      sockets: [],
      processes: [],
      nftTables: [],
    })
  }, 60_000)

  test('cleanupStale removes a dead run of ours, keeps live runs and foreign namespaces', async () => {
    const staleId = 'dead'
    const staleNs = `pt-${staleId}-s0`
    const foreignNs = `ptx-${lab.runId}-keep`
    await run('ip', ['netns', 'add', staleNs])
    await run('ip', ['netns', 'add', foreignNs])
    try {
      // A process left inside the stale namespace, as a crashed wireguard-go would be.
      const sleeper = spawn('ip', ['netns', 'exec', staleNs, 'sleep', '60'], { stdio: 'ignore' })
      const pid = sleeper.pid ?? 0
      mkdirSync(OWNER_DIR, { recursive: true })
      writeFileSync(
        `${OWNER_DIR}/${staleId}.json`,
        JSON.stringify({ pid: 2 ** 22 + 1, runId: staleId }),
      )
      const removed = await cleanupStale()
      expect(removed).toContain(staleId)
      expect(removed).not.toContain(lab.runId)
      expect(isAlive(pid)).toBe(false)
      const list = (await run('ip', ['netns', 'list'])).stdout
      expect(list).not.toContain(staleNs)
      expect(list).toContain(foreignNs)
      expect(list).toContain(lab.wanNs)
    } finally {
      await run('ip', ['netns', 'del', foreignNs], { allowFail: true })
      await run('ip', ['netns', 'del', staleNs], { allowFail: true })
    }
  }, 30_000)
})
