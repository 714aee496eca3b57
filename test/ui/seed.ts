/**
 * A control plane with something to look at: a real Node server (temp file database) with
 * four sites, three enrolled agents that heartbeat and report an hour of path telemetry
 * (one path lossy, one down), policies and a failover. `live()` keeps reporting every few
 * seconds, as real agents do, so paths stay fresh while the browser looks. The hub reports an
 * hour of classifier traffic (seed-traffic.ts); the branches none. Two webhook
 * endpoints point at a small receiver on 127.0.0.1 (private targets allowed): one answers
 * 204, one 503, so the delivery log has delivered rows and failing ones.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadNodeConfig } from '../../worker/config'
import { silentLogger } from '../../worker/logger'
import { type RunningServer, startNodeServer } from '../../worker/server'
import { enrollAgent, type TestAgent } from '../api/agent-client'
import { type ApiTarget, Client } from '../api/harness'
import { seedTraffic } from './seed-traffic'

export const ADMIN_TOKEN = 'ui-test-instance-admin-token-0123456789'
const MINUTE = 60_000

interface SeedSite {
  name: string
  role: 'hub' | 'spoke' | 'mesh'
  region: string
  prefix: string
  uplinks: { name: string; interface: string; endpoint?: string }[]
  enrolled: boolean
}

const SITES: SeedSite[] = [
  {
    name: 'hq-frankfurt',
    role: 'hub',
    region: 'eu-central',
    prefix: '10.0.0.0/16',
    uplinks: [
      { name: 'fiber', interface: 'eth0', endpoint: '203.0.113.10:51820' },
      { name: 'lte', interface: 'wwan0' },
    ],
    enrolled: true,
  },
  {
    name: 'branch-paris',
    role: 'spoke',
    region: 'eu-west',
    prefix: '10.1.0.0/16',
    uplinks: [{ name: 'dsl', interface: 'eth0', endpoint: '198.51.100.20:51820' }],
    enrolled: true,
  },
  {
    name: 'branch-berlin',
    role: 'spoke',
    region: 'eu-central',
    prefix: '10.2.0.0/16',
    uplinks: [{ name: 'cable', interface: 'eth0', endpoint: '198.51.100.30:51820' }],
    enrolled: true,
  },
  {
    name: 'branch-madrid',
    role: 'spoke',
    region: 'eu-south',
    prefix: '10.3.0.0/16',
    uplinks: [],
    enrolled: false,
  },
]

/** A request the webhook receiver got. */
export interface Received {
  path: string
  id: string
  type: string
}

/** A webhook target: answers 204 on any path but /fail, which answers 503. */
export interface Receiver {
  url: string
  received: Received[]
  close(): Promise<void>
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8')
    })
    req.on('end', () => {
      let type = ''
      try {
        type = String((JSON.parse(body) as { type?: unknown }).type ?? '')
      } catch {}
      received.push({ path: req.url ?? '', id: String(req.headers['webhook-id'] ?? ''), type })
      res.writeHead(req.url === '/fail' ? 503 : 204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export interface Seeded {
  server: RunningServer
  url: string
  receiver: Receiver
  admin: Client
  viewerToken: string
  sites: Record<string, { id: string; agent?: TestAgent }>
  stop(): Promise<void>
}

interface Link {
  from: string
  to: string
  localSlot: number
  remoteSlot: number
  rtt: number
  loss: number
  down?: boolean
}

/** Who reports which path, with its typical latency and loss. */
const LINKS: Link[] = [
  { from: 'hq-frankfurt', to: 'branch-paris', localSlot: 0, remoteSlot: 0, rtt: 11, loss: 0 },
  { from: 'hq-frankfurt', to: 'branch-paris', localSlot: 1, remoteSlot: 0, rtt: 38, loss: 0.4 },
  { from: 'hq-frankfurt', to: 'branch-berlin', localSlot: 0, remoteSlot: 0, rtt: 7, loss: 0 },
  { from: 'hq-frankfurt', to: 'branch-berlin', localSlot: 1, remoteSlot: 0, rtt: 45, loss: 3.5 },
  { from: 'branch-paris', to: 'hq-frankfurt', localSlot: 0, remoteSlot: 0, rtt: 11, loss: 0 },
  { from: 'branch-paris', to: 'branch-berlin', localSlot: 0, remoteSlot: 0, rtt: 19, loss: 0.2 },
  { from: 'branch-berlin', to: 'hq-frankfurt', localSlot: 0, remoteSlot: 0, rtt: 7, loss: 0 },
  {
    from: 'branch-berlin',
    to: 'hq-frankfurt',
    localSlot: 0,
    remoteSlot: 1,
    rtt: 44,
    loss: 100,
    down: true,
  },
]

function sample(link: Link, at: number, ids: Record<string, { id: string }>) {
  // A slow wave plus a little noise, and a latency bump twenty minutes ago.
  const wave = Math.sin(at / (7 * MINUTE)) * link.rtt * 0.15
  const bump = Math.abs(at - (Date.now() - 20 * MINUTE)) < 4 * MINUTE ? link.rtt * 0.8 : 0
  const rtt = link.rtt + wave + bump + Math.random() * link.rtt * 0.05
  const loss = link.down ? 100 : Math.max(0, link.loss + Math.sin(at / (3 * MINUTE)) * link.loss)
  return {
    at,
    path: { peerSiteId: ids[link.to]!.id, localSlot: link.localSlot, remoteSlot: link.remoteSlot },
    state: link.down ? ('down' as const) : ('up' as const),
    rttMs: link.down ? null : Math.round(rtt * 100) / 100,
    jitterMs: link.down ? null : Math.round((1 + Math.random() * rtt * 0.08) * 100) / 100,
    lossPct: Math.round(loss * 100) / 100,
    mos: link.down ? null : Math.round(Math.max(1, 4.4 - rtt / 200 - loss * 0.2) * 100) / 100,
  }
}

export async function seed(): Promise<Seeded> {
  const dir = mkdtempSync(join(tmpdir(), 'patronus-ui-'))
  const config = loadNodeConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: `file:${join(dir, 'ui.db')}`,
    PATRONUS_BOOTSTRAP_TOKEN: ADMIN_TOKEN,
    LOG_LEVEL: 'silent',
    PATRONUS_WEBHOOK_ALLOW_PRIVATE: '1',
  })
  const receiver = await startReceiver()
  // Retries of the failing endpoint every few seconds rather than minutes.
  const server = await startNodeServer(config, silentLogger, undefined, {
    webhooks: { retryBaseMs: 5000 },
  })
  const target: ApiTarget = {
    adminToken: ADMIN_TOKEN,
    fetch: (path, init) => fetch(server.url + path, init),
  }
  const admin = new Client(target, ADMIN_TOKEN)
  const must = async <T>(what: string, res: Promise<{ status: number; body: T }>) => {
    const r = await res
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`)
    return r.body
  }

  const sites: Seeded['sites'] = {}
  for (const s of SITES) {
    const site = await must<{ id: string }>(
      `site ${s.name}`,
      admin.post('/v1/sites', {
        name: s.name,
        role: s.role,
        region: s.region,
        prefixes: [s.prefix],
        labels: { tier: s.role === 'hub' ? 'core' : 'branch' },
      }),
    )
    sites[s.name] = { id: site.id }
    if (!s.enrolled) continue
    const token = await must<{ token: string }>(
      `token ${s.name}`,
      admin.post(`/v1/sites/${site.id}/enrollment-tokens`, {}),
    )
    const enrolled = await enrollAgent(target, token.token, s.uplinks)
    if (enrolled.status !== 201)
      throw new Error(`enroll ${s.name}: ${JSON.stringify(enrolled.body)}`)
    sites[s.name]!.agent = enrolled.agent
  }

  const policy = (name: string, priority: number, match: object, action: object) =>
    must<{ id: string }>(
      `policy ${name}`,
      admin.post('/v1/policies', { name, priority, match, action }),
    )
  const voice = await policy(
    'voice',
    10,
    { dscp: [46], protocols: ['udp'] },
    { preference: 'lowest-latency', sla: { maxLatencyMs: 150, maxLossPct: 1 } },
  )
  const video = await policy(
    'video-calls',
    20,
    { applications: ['zoom', 'teams'] },
    { preference: 'lowest-latency', fec: true },
  )
  await policy(
    'backups',
    100,
    { ports: [22, 873, '8000-8100'], destinationPrefixes: ['10.0.0.0/16'] },
    { preference: 'lowest-cost', compression: true },
  )

  const viewer = await must<{ token: string }>(
    'viewer token',
    admin.post('/v1/orgs/' + (await orgId(admin)) + '/tokens', {
      name: 'noc-wall',
      role: 'viewer',
    }),
  )

  const agents = SITES.filter((s) => s.enrolled).map((s) => ({ name: s.name, ...sites[s.name]! }))
  const report = async (from: number, to: number, everyMs: number) => {
    for (const a of agents) {
      const samples = []
      for (const link of LINKS.filter((l) => l.from === a.name)) {
        for (let at = from; at <= to; at += everyMs) samples.push(sample(link, at, sites))
      }
      const activePaths =
        a.name === 'hq-frankfurt'
          ? [
              {
                class: voice.id,
                path: { peerSiteId: sites['branch-berlin']!.id, localSlot: 0, remoteSlot: 0 },
                reason: 'lowest latency within SLA',
                since: Date.now() - 10 * MINUTE,
              },
              {
                class: 'default',
                path: { peerSiteId: sites['branch-paris']!.id, localSlot: 0, remoteSlot: 0 },
                reason: 'best score',
                since: Date.now() - 45 * MINUTE,
              },
            ]
          : []
      const r = await a.agent!.request('POST', '/v1/agent/telemetry', { samples, activePaths })
      if (r.status !== 204) throw new Error(`telemetry ${a.name}: ${JSON.stringify(r.body)}`)
      const hb = await a.agent!.request('POST', '/v1/agent/heartbeat', {
        agentVersion: '0.1.0',
        uptimeSeconds: 3600,
        uplinks: [],
      })
      if (hb.status !== 204) throw new Error(`heartbeat ${a.name}: ${JSON.stringify(hb.body)}`)
    }
  }
  const now = Date.now()
  await report(now - 60 * MINUTE, now - 1000, 20_000)

  // Endpoints before the events, so the events and the alert below are delivered.
  await must(
    'webhook noc-receiver',
    admin.post('/v1/webhooks', {
      url: `${receiver.url}/patronus`,
      description: 'noc-receiver',
      events: ['path.down', 'path.failover', 'alert.firing', 'alert.resolved'],
    }),
  )
  await must(
    'webhook pager-bridge',
    admin.post('/v1/webhooks', {
      url: `${receiver.url}/fail`,
      description: 'pager-bridge',
      events: ['alert.firing'],
      format: 'slack',
    }),
  )

  const hq = sites['hq-frankfurt']!
  await seedTraffic(hq.agent!, { voice: voice.id, 'video-calls': video.id }, now)
  const failover = await hq.agent!.request('POST', '/v1/agent/events', {
    events: [
      {
        type: 'path.failover',
        at: now - 10 * MINUTE,
        severity: 'warning',
        class: voice.id,
        path: { peerSiteId: sites['branch-berlin']!.id, localSlot: 0, remoteSlot: 0 },
        details: { reason: 'lte loss 4.1% > SLA 1%', from: 'lte', to: 'fiber' },
      },
      {
        type: 'path.sla_violation',
        at: now - 11 * MINUTE,
        severity: 'warning',
        class: voice.id,
        path: { peerSiteId: sites['branch-berlin']!.id, localSlot: 1, remoteSlot: 0 },
        details: { reason: 'loss 4.1% > 1%' },
      },
    ],
  })
  if (failover.status !== 201) throw new Error(`events: ${JSON.stringify(failover.body)}`)
  const berlin = sites['branch-berlin']!
  await berlin.agent!.request('POST', '/v1/agent/events', {
    events: [
      {
        type: 'path.down',
        at: now - 5 * MINUTE,
        severity: 'critical',
        path: { peerSiteId: hq.id, localSlot: 0, remoteSlot: 1 },
        details: { reason: 'BFD detection timeout' },
      },
    ],
  })

  // An alert rule, then a path.down raised by hand (operator events are evaluated at once).
  await must(
    'alert rule',
    admin.post('/v1/alert-rules', {
      name: 'path-down',
      eventTypes: ['path.down'],
      severity: 'critical',
    }),
  )
  await must(
    'operator event',
    admin.post('/v1/events', {
      type: 'path.down',
      siteId: berlin.id,
      severity: 'critical',
      details: { reason: 'carrier maintenance' },
    }),
  )

  // Real agents report every 10 s; keep the paths fresh while the browser looks.
  let last = Date.now()
  let pending: Promise<void> = Promise.resolve()
  const timer = setInterval(() => {
    const to = Date.now()
    const from = last + 1
    last = to
    pending = report(from, to, 5000).catch(() => {})
  }, 5000)

  return {
    server,
    url: server.url,
    receiver,
    admin,
    viewerToken: viewer.token,
    sites,
    async stop() {
      clearInterval(timer)
      await pending
      await server.close()
      await receiver.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function orgId(admin: Client): Promise<string> {
  const tokens = await admin.get('/v1/tokens?limit=1')
  return tokens.body.items[0].orgId
}
