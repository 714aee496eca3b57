/**
 * An uplink's endpoint, "host:port": where other sites send WireGuard traffic for it. One
 * schema for both ways an endpoint enters the control plane, the operator's uplink API and
 * the agent's claim at enrollment (docs/security.md, finding 2): an agent once stored
 * `$(id>/tmp/pwn);touch /tmp/x\`id\`:51820` and the dashboard showed it in a root command.
 * The grammar admits only letters, digits, `-`, `.`, `:` and brackets, so no shell, UAPI or
 * URL metacharacter can reach anything that later prints an endpoint.
 */
import { z } from 'zod'
import { parseIpv6 } from './net'

/**
 * `[IPv6]:port`, `a.b.c.d:port` or `dns.name:port` (RFC 1123 labels of 1-63 characters).
 * Group 1 is a bracketed IPv6 literal, group 2 any other host, group 3 the port.
 */
const ENDPOINT =
  /^(?:\[([0-9a-fA-F:.]+)\]|([0-9]{1,3}(?:\.[0-9]{1,3}){3}|[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*)):([0-9]{1,5})$/

/** Longest endpoint: a 253-character DNS name, ":" and a 5-digit port, with slack. */
export const MAX_ENDPOINT_LENGTH = 270

/** host:port with an IPv4 address, a [bracketed] IPv6 address or a DNS name. */
export const endpointSchema = z
  .string()
  // abort: one message per bad value (the refinements below assume the grammar holds).
  .max(MAX_ENDPOINT_LENGTH, { abort: true })
  .regex(ENDPOINT, {
    message: 'expected host:port, e.g. 203.0.113.7:51820 or [2001:db8::7]:51820',
    abort: true,
  })
  .refine((text) => {
    const port = Number(text.slice(text.lastIndexOf(':') + 1))
    return port >= 1 && port <= 65535
  }, 'port must be 1-65535')
  // The bracket class above also admits ":.:" and friends; only a real IPv6 literal may
  // stand in brackets (a bare "[" ... "]" host means nothing to WireGuard).
  .refine((text) => {
    const bracketed = ENDPOINT.exec(text)?.[1]
    return bracketed === undefined || parseIpv6(bracketed) !== undefined
  }, 'the bracketed host must be an IPv6 address')

/**
 * Splits "host:port" (or "[v6]:port"); the port becomes that uplink's first WireGuard port.
 * Deliberately looser than endpointSchema: it also reads rows stored before that schema
 * guarded enrollment, and a desired state must still build from them (agents use a peer's
 * endpoint host only when it parses as an IP literal).
 */
export function splitEndpoint(endpoint: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(endpoint)
  const port = Number(match?.[3])
  if (!match || port < 1 || port > 65535) return undefined
  return { host: (match[1] ?? match[2])!, port }
}
