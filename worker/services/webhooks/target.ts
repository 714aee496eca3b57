/**
 * Which webhook targets may be called. Webhooks make the control plane send requests to
 * URLs that operators type in, so a URL must not reach the control plane's own network
 * (SSRF): loopback, private (RFC 1918, CGNAT, ULA), link-local, multicast, documentation
 * and other special-purpose ranges (RFC 6890) are refused, unless the instance sets
 * PATRONUS_WEBHOOK_ALLOW_PRIVATE=1. Literal addresses are checked here on both runtimes;
 * on Node, hostnames are checked again at connect time by node-transport.ts. Addresses are
 * compared as numbers against prefixes (ip.ts), never as strings.
 */
import { inCidr, parseAddress, parseCidr } from './ip'

/**
 * Refused IPv4 ranges: RFC 6890 special-purpose blocks that are not globally reachable,
 * plus 192.88.99.0/24 (6to4 relay anycast, RFC 7526).
 */
const BLOCKED_V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
].map(parseCidr)

/**
 * Refused IPv6 ranges. Every form that carries an IPv4 address inside (mapped, translated,
 * compatible, NAT64, Teredo, 6to4) is refused whole rather than judged by the IPv4 part:
 * an operator has no reason to spell a public IPv4 target that way, and a translator or
 * tunnel may deliver such an address to the control plane's own network (docs/security.md,
 * finding 11). A consequence: on a host whose resolver answers with DNS64 synthesised
 * 64:ff9b:: addresses, hostnames only resolving to IPv4 are refused on Node (docs/webhooks.md).
 */
const BLOCKED_V6 = [
  '::/96', // unspecified, loopback and IPv4-compatible (RFC 4291 sec. 2.5.5.1, deprecated)
  '::ffff:0:0/96', // IPv4-mapped (RFC 4291 sec. 2.5.5.2)
  '::ffff:0:0:0/96', // IPv4-translated (RFC 2765 sec. 2.1)
  '64:ff9b::/96', // NAT64 well-known prefix (RFC 6052)
  '64:ff9b:1::/48', // NAT64 local-use prefix (RFC 8215)
  '100::/64', // discard-only (RFC 6666)
  '2001::/32', // Teredo (RFC 4380)
  '2001:db8::/32', // documentation (RFC 3849)
  '2002::/16', // 6to4 (RFC 3056)
  '3fff::/20', // documentation (RFC 9637)
  'fc00::/7', // unique local (RFC 4193)
  'fe80::/10', // link-local
  'fec0::/10', // site-local (deprecated, RFC 3879)
  'ff00::/8', // multicast
].map(parseCidr)

/** True for an IP literal that must not be called; undefined when `host` is not an IP. */
export function isBlockedAddress(host: string): boolean | undefined {
  const address = parseAddress(host)
  if (!address) return undefined
  const ranges = address.version === 4 ? BLOCKED_V4 : BLOCKED_V6
  return ranges.some((range) => inCidr(address.value, range))
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
