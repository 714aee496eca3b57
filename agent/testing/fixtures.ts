/**
 * Test fixtures: valid desired-state documents (checked against the protocol schema, so a
 * schema change breaks the fixture loudly rather than the tests quietly).
 */
import { generateKeyPairSync } from 'node:crypto'
import {
  type DesiredPeer,
  type DesiredState,
  desiredPeerSchema,
  desiredStateSchema,
} from '../../protocol/agent'
import { PROTOCOL_VERSION } from '../../protocol/version'

export function publicKey(): string {
  const jwk = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' })
  return Buffer.from(jwk.x ?? '', 'base64url').toString('base64')
}

export function peer(siteId: string, overrides: Partial<DesiredPeer> = {}): DesiredPeer {
  return desiredPeerSchema.parse({
    siteId,
    siteName: `name-${siteId}`,
    role: 'mesh',
    agentId: `agt-${siteId}`,
    wireguardPublicKey: publicKey(),
    overlayAddress: '100.64.0.9',
    prefixes: ['10.9.0.0/16'],
    uplinks: [],
    ...overrides,
  })
}

export function desiredState(
  revision: number,
  overrides: Partial<DesiredState> = {},
): DesiredState {
  return desiredStateSchema.parse({
    protocolVersion: PROTOCOL_VERSION,
    revision,
    generatedAt: '2026-01-01T00:00:00.000Z',
    org: { id: 'org_1', topology: 'mesh' },
    site: {
      id: 'site_1',
      name: 'hq',
      role: 'mesh',
      prefixes: ['10.1.0.0/16'],
      labels: {},
      overlayAddress: '100.64.0.1',
      overlayPool: '100.64.0.0/10',
    },
    agent: { id: 'agt_1' },
    uplinks: [
      {
        id: 'upl_1',
        name: 'fiber',
        slot: 0,
        interface: 'eth0',
        endpointHost: '192.0.2.1',
        basePort: 51820,
        bandwidthMbps: null,
        costPerGb: null,
        priority: 0,
      },
    ],
    wireguard: { basePort: 51820, keepaliveSeconds: 25, mtu: 1420 },
    peers: [],
    policies: [],
    probes: { bfdIntervalMs: 100, bfdMultiplier: 3, probeIntervalMs: 50 },
    failover: { holdDownMs: 1000, failbackAfterMs: 30000, hysteresisPct: 10 },
    heartbeatIntervalSeconds: 30,
    ...overrides,
  })
}
