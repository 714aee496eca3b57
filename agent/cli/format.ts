/** Human-readable renderings for the CLI (the --json forms are the documents themselves). */
import type { DesiredState } from '../../protocol/agent'

export function describeDesiredState(state: DesiredState): string {
  const lines = [
    `revision ${state.revision} (generated ${state.generatedAt})`,
    `site ${state.site.name} (${state.site.id}), role ${state.site.role}, overlay ${state.site.overlayAddress}`,
    `prefixes: ${state.site.prefixes.join(', ') || '(none)'}`,
    `uplinks: ${state.uplinks.map((u) => `${u.name}=${u.interface}`).join(', ') || '(none)'}`,
    `peers: ${state.peers.length}`,
    ...state.peers.map((p) =>
      `  ${p.siteName} (${p.siteId}) ${p.overlayAddress} ${p.prefixes.join(' ')}`.trimEnd(),
    ),
    `policies: ${state.policies.length}`,
    `heartbeat every ${state.heartbeatIntervalSeconds} s`,
  ]
  return `${lines.join('\n')}\n`
}
