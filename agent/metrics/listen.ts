/** The `--metrics-listen` value: `host:port`, `[ipv6]:port`, default 127.0.0.1:9469. */
import { isIP } from 'node:net'

export const DEFAULT_METRICS_LISTEN = '127.0.0.1:9469'

export interface ListenAddress {
  host: string
  port: number
}

export class ListenParseError extends Error {
  override name = 'ListenParseError'
}

export function parseListen(text: string): ListenAddress {
  const value = text.trim()
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value)
  if (!m) {
    throw new ListenParseError(
      `metrics listen "${text}": expected host:port or [ipv6]:port, e.g. ${DEFAULT_METRICS_LISTEN}`,
    )
  }
  const host = (m[1] ?? m[2])!
  const port = Number(m[3])
  if (port > 65535) throw new ListenParseError(`metrics listen "${text}": port ${port} > 65535`)
  if (m[1] !== undefined && isIP(host) !== 6) {
    throw new ListenParseError(`metrics listen "${text}": ${host} is not an IPv6 address`)
  }
  if (m[2] !== undefined && isIP(host) === 0 && !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(host)) {
    throw new ListenParseError(`metrics listen "${text}": ${host} is not a host name or address`)
  }
  return { host, port }
}
