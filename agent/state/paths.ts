/**
 * Where the agent keeps its state. One directory (mode 0700) holds the private keys, the
 * enrollment record and the cached desired state, so an operator can back it up, wipe it
 * or point a second agent in the lab at another one.
 */
import { join } from 'node:path'

export const DEFAULT_STATE_DIR = '/var/lib/patronus'

export interface StatePaths {
  dir: string
  /** Enrollment record: agent, site and org ids, server URL (agent.json). */
  enrollment: string
  /** Ed25519 identity private key, PKCS#8 PEM. */
  identityKey: string
  /** X25519 WireGuard private key, base64 of the raw 32 bytes (`wg genkey` format). */
  wireguardKey: string
  /** Last desired state received, exactly as validated (fail-static source). */
  desiredState: string
  /** When the last successful sync happened and at which revision. */
  syncStatus: string
  /** What the running daemon reports of its paths, rewritten every few seconds. */
  pathsStatus: string
  /** Present while the operator holds the agent in maintenance (`patronus-agent down`). */
  maintenance: string
}

export function statePaths(dir: string): StatePaths {
  return {
    dir,
    enrollment: join(dir, 'agent.json'),
    identityKey: join(dir, 'identity.key'),
    wireguardKey: join(dir, 'wireguard.key'),
    desiredState: join(dir, 'desired-state.json'),
    syncStatus: join(dir, 'sync-status.json'),
    pathsStatus: join(dir, 'paths-status.json'),
    maintenance: join(dir, 'maintenance.json'),
  }
}
