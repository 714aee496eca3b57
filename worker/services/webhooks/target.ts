/**
 * Which webhook targets may be called. Webhooks make the control plane send requests to
 * URLs that operators type in, so a URL must not reach the control plane's own network
 * (SSRF): loopback, private (RFC 1918, CGNAT, ULA), link-local, multicast, documentation
 * and other special-purpose ranges (RFC 6890) are refused, unless the instance sets
 * PATRONUS_WEBHOOK_ALLOW_PRIVATE=1. Literal addresses are checked here on both runtimes;
 * on Node, hostnames are checked again at connect time by node-transport.ts.
 */

/** [first octets as a 32-bit number, prefix length] */
const BLOCKED_V4: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
]

function parseV4(text: string): number | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  let value = 0
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined
    value = value * 256 + Number(p)
  }
  return value
}

function v4Blocked(value: number): boolean {
  return BLOCKED_V4.some(([base, len]) => {
    const b = parseV4(base)!
    const size = 2 ** (32 - len)
    return value >= b && value < b + size
  })
}

/** Eight 16-bit groups, or undefined when the text is not an IPv6 address. */
function parseV6(text: string): number[] | undefined {
  let s = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '')
  const tail: number[] = []
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s)
  if (v4) {
    const value = parseV4(v4[1]!)
    if (value === undefined) return undefined
    tail.push(Math.floor(value / 65536), value % 65536)
    s = s.slice(0, -v4[1]!.length)
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1)
  }
  const halves = s.split('::')
  if (halves.length > 2) return undefined
  const groups = (h: string) => (h === '' ? [] : h.split(':'))
  const head = groups(halves[0]!)
  const rest = halves.length === 2 ? groups(halves[1]!) : []
  const all = [...head, ...rest]
  if (!all.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined
  const explicit = all.length + tail.length
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return undefined
  const zeros = new Array(8 - explicit).fill(0)
  return [
    ...head.map((g) => Number.parseInt(g, 16)),
    ...zeros,
    ...rest.map((g) => Number.parseInt(g, 16)),
    ...tail,
  ]
}

function v6Blocked(g: number[]): boolean {
  const [a = 0, b = 0] = g
  if (g.slice(0, 7).every((x) => x === 0) && (g[7] === 0 || g[7] === 1)) return true // :: ::1
  const embeddedV4 = (hi: number | undefined, lo: number | undefined) =>
    v4Blocked((hi ?? 0) * 65536 + (lo ?? 0))
  // IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96), NAT64 (64:ff9b::/96)
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0))
    return embeddedV4(g[6], g[7])
  if (a === 0x64 && b === 0xff9b && g.slice(2, 6).every((x) => x === 0))
    return embeddedV4(g[6], g[7])
  if (a === 0x2002) return embeddedV4(b, g[2]) // 6to4
  if ((a & 0xfe00) === 0xfc00) return true // fc00::/7 unique local
  if ((a & 0xffc0) === 0xfe80) return true // fe80::/10 link-local
  if ((a & 0xffc0) === 0xfec0) return true // fec0::/10 site-local (deprecated)
  if ((a & 0xff00) === 0xff00) return true // multicast
  if (a === 0x2001 && b === 0x0db8) return true // documentation
  if (a === 0x0100 && g.slice(1, 4).every((x) => x === 0)) return true // discard 100::/64
  return false
}

/** True for an IP literal that must not be called; undefined when `host` is not an IP. */
export function isBlockedAddress(host: string): boolean | undefined {
  const v4 = parseV4(host)
  if (v4 !== undefined) return v4Blocked(v4)
  const v6 = parseV6(host)
  if (v6 !== undefined) return v6Blocked(v6)
  return undefined
}

/** Why the URL may not be a webhook target, or null when it may. */
export function targetProblem(raw: string, allowPrivate: boolean): string | null {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return 'not a valid absolute URL'
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http(s) URL'
  if (url.username || url.password) return 'must not carry credentials'
  if (allowPrivate) return null
  const host = url.hostname.toLowerCase().replace(/\.$/, '')
  if (host === 'localhost' || host.endsWith('.localhost')) {
    return 'resolves to a loopback address (set PATRONUS_WEBHOOK_ALLOW_PRIVATE=1 to allow)'
  }
  if (isBlockedAddress(host)) {
    return 'is a loopback, private or link-local address (set PATRONUS_WEBHOOK_ALLOW_PRIVATE=1 to allow)'
  }
  return null
}
