/** The exact command an operator runs on the site to enroll its agent. */
import type { Uplink } from './types'

export function enrollCommand(server: string, token: string, uplinks: readonly Uplink[]): string {
  const specs = uplinks.length
    ? [...uplinks]
        .sort((a, b) => a.slot - b.slot)
        .map((u) => `${u.name}=${u.interface}${u.endpoint ? `,endpoint=${u.endpoint}` : ''}`)
    : ['wan0=eth0']
  return [
    'patronus-agent enroll',
    `--server ${server}`,
    // The agent refuses plain HTTP unless told (answers are unsigned): a dashboard served
    // over http:// is a lab's, so its command must say so or it would not work as shown.
    ...(/^http:/i.test(server) ? ['--insecure-http'] : []),
    `--token ${token}`,
    ...specs.map((spec) => `--uplink ${spec}`),
  ].join(' ')
}
