/**
 * `npm run lab`: builds a 3-site x 2-uplink WAN lab, prints its layout and waits for
 * Ctrl-C; the harness tears it down on SIGINT/SIGTERM.
 */
import { cleanupStale, Lab } from './harness'

const stale = await cleanupStale()
if (stale.length > 0) console.log(`removed leftovers of earlier lab runs: ${stale.join(', ')}`)
const lab = await Lab.create({ sites: 3, uplinks: 2, log: (m) => console.log(m) })
console.log(`\nPatronus WAN lab ${lab.runId}`)
console.log(`  WAN router   ${lab.wanNs}`)
console.log(`  control plane ${lab.cp.ns}  ${lab.cp.address}`)
for (const site of lab.sites) {
  console.log(
    `  site ${site.index}       ${site.ns}  LAN ${site.lanPrefix} (host ${site.hostNs} ${site.lanHost})`,
  )
  for (const u of site.uplinks) {
    console.log(`    uplink ${u.slot}   ${u.ifname}  ${u.address} via ${u.gateway}`)
  }
}
console.log(`\nTry: ip netns exec ${lab.site(0).ns} ping ${lab.uplink(1, 0).address}`)
console.log('Ctrl-C to tear the lab down.')
// Keep the process alive until a signal; the harness's handlers clean up and exit.
setInterval(() => {}, 1 << 30)
