/** The exact command an operator runs on the site to enroll its agent. */
import { shellCommand } from './shell'
import type { Uplink } from './types'

/**
 * Every value is shell-quoted (ui/api/shell.ts): the server validates endpoints, but this
 * command runs as root, so it must not depend on that (rows stored before the validation,
 * a future field, a hostile origin).
 */
export function enrollCommand(server: string, token: string, uplinks: readonly Uplink[]): string {
  const specs = uplinks.length
    ? [...uplinks]
        .sort((a, b) => a.slot - b.slot)
        .map((u) => `${u.name}=${u.interface}${u.endpoint ? `,endpoint=${u.endpoint}` : ''}`)
    : ['wan0=eth0']
  return shellCommand([
    'patronus-agent',
    'enroll',
    '--server',
    server,
    // The agent refuses plain HTTP unless told (answers are unsigned): a dashboard served
    // over http:// is a lab's, so its command must say so or it would not work as shown.
    ...(/^http:/i.test(server) ? ['--insecure-http'] : []),
    '--token',
    token,
    ...specs.flatMap((spec) => ['--uplink', spec]),
  ])
}
