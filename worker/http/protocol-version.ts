/**
 * Which protocol version an agent speaks: its PROTOCOL_HEADER, on every agent request
 * (enrollment included). Absent means 1, the agents that predate the header. A version
 * this control plane does not serve (older than one back, or newer than its own) is
 * refused before anything else is looked at, with a problem that names the versions it
 * serves: the daemon logs it and retries, so upgrading whichever side is behind heals it.
 *
 * The header is not covered by the request signature on purpose: the signature covers a
 * fixed component list that v1 control planes check exactly, so covering one more header
 * would get every v2 agent refused by them. Nothing is gained by signing it either: it only
 * picks the shape of the answer, which TLS protects, and the nonce already stops a replay
 * of the request under another version.
 */
import { createMiddleware } from 'hono/factory'
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../protocol/version'
import { ProblemError } from '../errors'
import { SERVED_PROTOCOL_VERSIONS } from '../services/protocol-compat'
import type { AppEnv } from './env'

/** The version a header value names, or undefined when it is not one decimal integer. */
export function parseProtocolHeader(value: string | undefined): number | undefined {
  if (value === undefined) return 1
  return /^[0-9]{1,6}$/.test(value.trim()) ? Number(value.trim()) : undefined
}

export const negotiateProtocol = createMiddleware<AppEnv>(async (c, next) => {
  const value = c.req.header(PROTOCOL_HEADER)
  const version = parseProtocolHeader(value)
  if (version === undefined || !SERVED_PROTOCOL_VERSIONS.includes(version)) {
    const served = [...SERVED_PROTOCOL_VERSIONS].sort((a, b) => a - b)
    const upgrade =
      version !== undefined && version > PROTOCOL_VERSION ? 'the control plane' : 'the agent'
    throw new ProblemError(
      'protocol-version-unsupported',
      `this control plane serves agent protocol versions ${served.join(' and ')}; the agent sent ${PROTOCOL_HEADER}: ${JSON.stringify(value)}: upgrade ${upgrade}`,
      { supportedVersions: served },
    )
  }
  c.set('protocolVersion', version)
  await next()
})
