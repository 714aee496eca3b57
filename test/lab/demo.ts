/**
 * `sudo npm run lab`: a running Patronus SD-WAN on this machine. Builds a WAN lab of 3
 * sites x 2 uplinks, starts the control plane in its own namespace, creates the sites and
 * real enrollment tokens through the API, enrolls and runs the real agent in every site,
 * waits until every path has handshaken, then prints the API URL (also bridged to the
 * host's loopback), the bootstrap token, the sites and their paths. Ctrl-C removes
 * everything (the harness tears the lab down on SIGINT/SIGTERM).
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { listenOnLoopback } from './api-bridge'
import { wgDevices } from './cli-agent'
import { pollUntil } from './exec'
import { MeshLab } from './mesh-lab'

const BRIDGE = fileURLToPath(new URL('./api-bridge.ts', import.meta.url))
const verbose = process.argv.includes('--verbose')

if (process.getuid?.() !== 0) {
  console.error('The WAN lab needs root (network namespaces): sudo npm run lab')
  process.exit(1)
}

console.log('Building the WAN lab (3 sites x 2 uplinks), the control plane and 3 agents...')
const mesh = await MeshLab.start({
  sites: 3,
  uplinks: 2,
  // The production long-poll: a change reaches the agents at once anyway (wake-up).
  longPollSeconds: 55,
  log: verbose ? (m) => console.log(m) : () => {},
})
const { lab, cp } = mesh

// The API on the host's loopback, through a unix socket relay in the control-plane namespace.
const socketPath = `${mesh.dir}/api.sock`
lab.spawnIn(lab.cp.ns, 'api bridge', process.execPath, [
  '--import',
  'tsx',
  BRIDGE,
  socketPath,
  lab.cp.address,
  String(cp.port),
])
await pollUntil('the API bridge', () => (existsSync(socketPath) ? true : undefined), {
  timeoutMs: 15_000,
  intervalMs: 100,
})
const local = await listenOnLoopback(socketPath, 8787).catch(() => listenOnLoopback(socketPath, 0))
process.once('exit', () => local.server.close())

const now = Math.floor(Date.now() / 1000)
console.log(
  `\nPatronus WAN lab ${lab.runId}: every path handshaken ${mesh.meshedAfterMs} ms after the agents started\n`,
)
console.log(`Control plane   ${cp.url}  (namespace ${lab.cp.ns})`)
console.log(
  `  on this host  http://127.0.0.1:${local.port}   API docs: http://127.0.0.1:${local.port}/docs`,
)
console.log(`  admin token   ${cp.bootstrapToken}`)
console.log(
  `  try           curl -H "authorization: Bearer ${cp.bootstrapToken}" http://127.0.0.1:${local.port}/v1/sites`,
)
console.log(`WAN router      ${lab.wanNs}`)
for (const [i, site] of lab.sites.entries()) {
  const m = mesh.member(i)
  console.log(
    `\nsite ${i}  ${m.siteId}  namespace ${site.ns}  overlay ${m.enrolled.overlayAddress}`,
  )
  console.log(`  LAN ${site.lanPrefix}, host ${site.lanHost} in ${site.hostNs}`)
  for (const u of site.uplinks) console.log(`  uplink ${u.slot}  ${u.ifname}  ${u.address}`)
  console.log('  paths (local uplink -> peer uplink: interface, endpoint, last handshake):')
  for (const d of await wgDevices(lab, site)) {
    for (const p of d.peers) {
      const peer = mesh.members.findIndex((x) => x.enrolled.wireguardPublicKey === p.publicKey)
      const age = p.latestHandshake > 0 ? `${now - p.latestHandshake} s ago` : 'never'
      console.log(
        `    ${d.name.slice(site.wgPrefix.length).replace('-', ' -> site ' + peer + ' uplink ')}  ${d.name}  ${p.endpoint}  ${age}`,
      )
    }
  }
}
const a = lab.site(0)
const b = lab.site(1)
console.log(
  `\nTry:  sudo ip netns exec ${a.hostNs} ping ${b.lanHost}        (LAN 0 -> LAN 1 through the mesh)`,
)
console.log(`      sudo ip netns exec ${a.ns} wg show ${a.wgPrefix}0-0`)
console.log(`      sudo ip netns exec ${a.ns} ip route show table 7200`)
console.log('\nCtrl-C removes everything.')
// Keep the process alive until a signal; the harness's handlers clean up and exit.
setInterval(() => {}, 1 << 30)
