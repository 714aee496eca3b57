/**
 * The header by which the agent names its protocol version, on every request to the
 * control plane (enrollment included): the control plane answers in that version, or
 * refuses one it no longer serves with `protocol-version-unsupported` (docs/protocol.md).
 */
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../protocol/version'

export const PROTOCOL_HEADERS: Readonly<Record<string, string>> = {
  [PROTOCOL_HEADER]: String(PROTOCOL_VERSION),
}
