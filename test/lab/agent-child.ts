/**
 * The agent side of a lab site: runs inside the site's namespace (`ip netns exec`), so the
 * mesh stages, their rtnetlink socket and the wireguard-go processes it starts all live in
 * that namespace exactly as the agent would in production. Driven by JSON lines on stdin:
 * {id, op: 'reconfig', desired} | {id, op: 'stats'} | {id, op: 'close'}; answers on stdout.
 */
import { createInterface } from 'node:readline'
import { meshStages } from '../../agent/mesh'
import { createStagedPipeline } from '../../agent/pipeline/stages'
import { createRtNetlinkRouting } from '../../agent/routing/rtnetlink'
import { procSysctl } from '../../agent/routing/sysctl'
import { selectWireGuardBackend } from '../../agent/tunnels/select'
import type { DesiredState } from '../../protocol/agent'

interface ChildInit {
  interfacePrefix: string
  privateKey: string
}

interface Request {
  id: number
  op: 'reconfig' | 'stats' | 'close'
  desired?: DesiredState
}

function send(message: unknown): void {
  process.stdout.write(
    `${JSON.stringify(message, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`,
  )
}

const init = JSON.parse(process.argv[2] ?? '{}') as ChildInit
const routing = createRtNetlinkRouting()
const selected = await selectWireGuardBackend({ routing })
const log = (m: string) => process.stderr.write(`${m}\n`)
const engine = createStagedPipeline({
  stages: meshStages({
    backend: selected.backend,
    routing,
    sysctl: procSysctl(),
    privateKey: init.privateKey,
    interfacePrefix: init.interfacePrefix,
    log,
  }),
  plan: { interfacePrefix: init.interfacePrefix, mode: 'lab' },
  log,
})

async function stats() {
  const plan = engine.plan?.mesh
  const interfaces = []
  for (const iface of plan?.interfaces ?? []) {
    const state = await selected.backend.get(iface.name)
    interfaces.push({ name: iface.name, listenPort: state.listenPort, peers: state.peers })
  }
  const meshRoutes = plan ? await routing.routes(plan.routes[0]?.table ?? 7200) : []
  const rules = await routing.rules(4)
  const names = await selected.backend.list()
  return { interfaces, meshRoutes, rules, wgNames: names }
}

async function handle(req: Request): Promise<unknown> {
  switch (req.op) {
    case 'reconfig':
      if (!req.desired) throw new Error('reconfig without desired')
      await engine.reconfig(req.desired)
      return { plan: engine.plan?.mesh }
    case 'stats':
      return stats()
    case 'close':
      await engine.close()
      routing.close()
      return {}
  }
}

let shutting = false
async function shutdown(code: number): Promise<void> {
  if (shutting) return
  shutting = true
  await engine.close().catch(() => {})
  routing.close()
  process.exit(code)
}
process.on('SIGTERM', () => void shutdown(143))
process.on('SIGINT', () => void shutdown(130))

const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  const req = JSON.parse(line) as Request
  handle(req).then(
    (result) => {
      send({ id: req.id, ok: true, result })
      if (req.op === 'close') process.exit(0)
    },
    (err: unknown) =>
      send({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  )
})
lines.on('close', () => void shutdown(0))
send({ event: 'ready', backend: selected.backend.kind, reason: selected.reason })
