/**
 * The admin CLI against a real control plane: the Node app over a temp database
 * (startNodeTarget) behind a real HTTP listener on 127.0.0.1, driven in-process through
 * runPatronus with captured output and a temp XDG_CONFIG_HOME.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NODE_ADMIN_TOKEN, type NodeTarget, startNodeTarget } from '../test/api/node-target'
import { createApp } from '../worker/app'
import { abortableSleep } from './io'
import { runPatronus } from './run'

let target: NodeTarget
let server: ReturnType<typeof serve>
let url: string
let home: string
/** Every byte the CLI printed in this file, to check that the token never appears. */
const everything: string[] = []

beforeAll(async () => {
  target = await startNodeTarget()
  const app = createApp(target.deps)
  server = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
  })
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  home = mkdtempSync(join(tmpdir(), 'patronus-cli-'))
})

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  target.close()
  rmSync(home, { recursive: true, force: true })
})

interface Run {
  code: number
  stdout: string
  stderr: string
}

async function patronus(
  argv: string[],
  options: { env?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Run> {
  let stdout = ''
  let stderr = ''
  const code = await runPatronus(argv, {
    stdout: (text) => {
      stdout += text
    },
    stderr: (text) => {
      stderr += text
    },
    env: { XDG_CONFIG_HOME: join(home, 'config'), HOME: home, ...options.env },
    fetch: (input, init) => fetch(input, init),
    sleep: abortableSleep,
    signal: options.signal ?? new AbortController().signal,
  })
  everything.push(stdout, stderr)
  return { code, stdout, stderr }
}

async function json(argv: string[]) {
  const run = await patronus([...argv, '--json'])
  expect(run.stderr, argv.join(' ')).toBe('')
  expect(run.code).toBe(0)
  return JSON.parse(run.stdout)
}

function file(name: string, text: string): string {
  const path = join(home, name)
  writeFileSync(path, text)
  return path
}

const NETWORK = `
sites:
  - name: hq
    role: hub
    region: eu-west
    prefixes: [10.0.0.0/16]
    labels: { tier: gold }
    uplinks:
      - name: fiber
        interface: eth0
        endpoint: 203.0.113.10:51820
        bandwidthMbps: 1000
  - name: branch-1
    prefixes: [10.1.0.0/16]
    uplinks:
      - name: lte
        interface: wwan0
policies:
  - name: voice
    priority: 10
    match: { protocols: [udp], ports: ["16384-32767"] }
    action: { preference: lowest-latency, sla: { maxLatencyMs: 150 } }
alertRules:
  - name: paths-down
    eventTypes: [path.down]
    sites: [hq, branch-1]
    severity: critical
webhooks:
  - url: https://hooks.example.com/patronus
    events: ["*"]
    description: ops channel
`

describe('patronus admin CLI', () => {
  it('logs in (config 0600) and round-trips sites and policies as JSON', async () => {
    const login = await patronus(['login', '--server', url, '--token', NODE_ADMIN_TOKEN])
    expect(login.code).toBe(0)
    const config = join(home, 'config', 'patronus', 'config.json')
    expect(statSync(config).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual({
      server: url,
      token: NODE_ADMIN_TOKEN,
    })

    const site = await json(['sites', 'create', '--name', 'lab', '--prefix', '10.9.0.0/16'])
    expect(site).toMatchObject({ name: 'lab', prefixes: ['10.9.0.0/16'], role: 'mesh' })
    expect((await json(['sites', 'list'])).map((s: { name: string }) => s.name)).toContain('lab')
    expect(await json(['sites', 'get', 'lab'])).toMatchObject({ id: site.id })
    const uplink = await json(['uplinks', 'create', 'lab', '--name', 'wan', '--interface', 'eth1'])
    expect(await json(['uplinks', 'list', site.id])).toEqual([
      expect.objectContaining({ id: uplink.id }),
    ])

    const table = await patronus(['sites', 'list'])
    expect(table.stdout).toMatch(/^ID\s+NAME\s+ROLE/)
    expect(table.stdout).toContain('lab')

    const policies = file(
      'policies.yaml',
      '- name: bulk\n  priority: 500\n  match: { protocols: [tcp] }\n  action: { preference: lowest-cost }\n',
    )
    expect(await json(['policies', 'check', '-f', policies])).toEqual({ valid: true, policies: 1 })
    expect((await json(['policies', 'diff', '-f', policies])).summary).toEqual({
      create: 1,
      update: 0,
      delete: 0,
    })
    expect((await json(['policies', 'apply', '-f', policies])).applied).toBe(true)
    const policy = await json(['policies', 'get', 'bulk'])
    expect(policy).toMatchObject({ priority: 500, action: { preference: 'lowest-cost' } })
    expect((await json(['policies', 'diff', '-f', policies])).changes).toEqual([])

    expect(await json(['sites', 'delete', 'lab'])).toMatchObject({ deleted: site.id })
    expect(await json(['policies', 'list'])).toHaveLength(1)
    await json(['policies', 'apply', '-f', file('none.yaml', '[]'), '--prune'])
    expect(await json(['policies', 'list'])).toEqual([])
  })

  it('applies a network file idempotently, updates, prunes only with --prune', async () => {
    const network = file('network.yaml', NETWORK)
    const dry = await patronus(['apply', '-f', network, '--dry-run'])
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain('Plan: 7 to create, 0 to update, 0 to delete.')
    expect(dry.stdout).toContain('+ uplink hq/fiber')
    expect(dry.stdout).toContain('Dry run: nothing was changed.')
    expect(await json(['sites', 'list'])).toEqual([])

    const first = await json(['apply', '-f', network])
    expect(first.summary).toEqual({ create: 7, update: 0, delete: 0 })
    expect(first.secrets).toEqual([
      { webhook: 'https://hooks.example.com/patronus', secret: expect.stringMatching(/^whsec_/) },
    ])
    const sites = await json(['sites', 'list'])
    const second = await json(['apply', '-f', network])
    expect(second).toMatchObject({ changes: [], applied: false })

    const changed = NETWORK.replace('region: eu-west', 'region: eu-central')
      .replace('priority: 10', 'priority: 20')
      .replace(
        '      - name: lte\n        interface: wwan0\n',
        '      - name: lte\n        interface: wwan1\n',
      )
    const update = await json(['apply', '-f', file('changed.yaml', changed)])
    expect(update.changes).toEqual([
      { action: 'update', kind: 'site', key: 'hq', fields: ['region'] },
      { action: 'update', kind: 'uplink', key: 'branch-1/lte', fields: ['interface'] },
      { action: 'update', kind: 'policy', key: 'voice', fields: ['priority'] },
    ])
    expect(await json(['sites', 'get', 'hq'])).toMatchObject({ region: 'eu-central' })

    // branch-1 and its rule reference leave the file: kept without --prune, deleted with it.
    const smaller = changed
      .replace(/ {2}- name: branch-1\n(.*\n){4}/, '')
      .replace('sites: [hq, branch-1]', 'sites: [hq]')
    const path = file('smaller.yaml', smaller)
    const kept = await json(['apply', '-f', path])
    expect(kept.kept).toEqual([{ kind: 'site', key: 'branch-1' }])
    expect(kept.changes).toEqual([
      { action: 'update', kind: 'alert rule', key: 'paths-down', fields: ['siteIds'] },
    ])
    expect(await json(['sites', 'list'])).toHaveLength(2)
    const pruned = await json(['apply', '-f', path, '--prune'])
    expect(pruned.changes).toEqual([{ action: 'delete', kind: 'site', key: 'branch-1' }])
    expect((await json(['sites', 'list'])).map((s: { name: string }) => s.name)).toEqual(['hq'])
    expect(sites).toHaveLength(2)
  })

  it('exports the org so that applying the export changes nothing, without secrets', async () => {
    const exported = await patronus(['export'])
    expect(exported.code).toBe(0)
    expect(exported.stdout).toContain('name: hq')
    expect(exported.stdout).toContain('url: https://hooks.example.com/patronus')
    expect(exported.stdout).not.toMatch(/whsec_|secret:/)
    expect(exported.stdout).not.toMatch(/\bid: |version: /)
    const again = await json(['apply', '-f', file('export.yaml', exported.stdout), '--prune'])
    expect(again).toMatchObject({ changes: [], applied: false })
  })

  it('prints field errors and exits non-zero on invalid input, locally and from the API', async () => {
    const api = await patronus(['sites', 'create', '--name', 'bad', '--prefix', '10.0.0.0/33'])
    expect(api.code).toBe(1)
    expect(api.stderr).toContain('The request is not valid (HTTP 422)')
    expect(api.stderr).toContain('prefixes.0:')

    const local = await patronus([
      'apply',
      '-f',
      file('bad.yaml', 'sites:\n  - name: x\n    role: boss\n'),
    ])
    expect(local.code).toBe(1)
    expect(local.stderr).toContain('The file is not valid')
    expect(local.stderr).toContain('sites.0.role:')

    const usage = await patronus(['sites', 'list', '--bogus'])
    expect(usage.code).toBe(2)
  })

  it('follows events until interrupted, then exits 0', async () => {
    const stop = new AbortController()
    const follow = patronus(['events', '--follow', '--interval', '1', '--json'], {
      signal: stop.signal,
    })
    await new Promise((resolve) => setTimeout(resolve, 200))
    const raised = await target.fetch('/v1/events', {
      method: 'POST',
      headers: { authorization: `Bearer ${NODE_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'path.down', details: { note: 'from the test' } }),
    })
    expect(raised.status).toBe(201)
    const { id } = (await raised.json()) as { id: string }
    await new Promise((resolve) => setTimeout(resolve, 1300))
    stop.abort()
    const run = await follow
    expect(run.code).toBe(0)
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines.filter((e: { id: string }) => e.id === id)).toHaveLength(1)
  })

  it('uses PATRONUS_SERVER/PATRONUS_TOKEN and never prints the token', async () => {
    const env = { PATRONUS_SERVER: url, PATRONUS_TOKEN: 'not-the-real-token-abcdef' }
    const refused = await patronus(['sites', 'list'], { env })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('HTTP 401')
    const completion = await patronus(['completion', 'bash'])
    expect(completion.stdout).toContain('complete -o default -F _patronus patronus')
    expect(everything.join('')).not.toContain(NODE_ADMIN_TOKEN)
    expect(everything.join('')).not.toContain('not-the-real-token-abcdef')
  })
})
