/**
 * The version of the agent <-> control plane contract. Bump it on every change to a
 * schema in this folder and record the change in docs/protocol.md ("Changelog");
 * protocol/wire.test.ts fails when the wire changes and this number does not.
 */
export const PROTOCOL_VERSION = 2

/**
 * The oldest version a control plane still serves: one back, so agents can be upgraded
 * after the control plane, site by site. What a v1 agent is sent instead of the current
 * document is worker/services/protocol-compat.ts.
 */
export const OLDEST_SERVED_PROTOCOL_VERSION = PROTOCOL_VERSION - 1

/**
 * Request header by which an agent names the protocol version it speaks, on every request
 * (enrollment included). Absent: version 1, agents older than the header.
 */
export const PROTOCOL_HEADER = 'patronus-protocol'
