/**
 * The version of the agent <-> control plane contract. Bump it on every change to a
 * schema in this folder and record the change in docs/protocol.md.
 */
export const PROTOCOL_VERSION = 1
