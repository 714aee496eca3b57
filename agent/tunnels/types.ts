/**
 * The WireGuard backend contract (docs/house-style.md rule 3: a small Up / Set / Close interface in
 * front of platform code). Two implementations: userspace wireguard-go over its UAPI socket
 * (userspace.ts) and kernel WireGuard over generic netlink (kernel.ts). Keys are base64 here,
 * as in the protocol; each backend converts to its own wire form.
 */

export interface WireGuardPeerConfig {
  /** base64 X25519 public key */
  publicKey: string
  /** `ip:port` or `[ip6]:port`; absent = wait to be contacted */
  endpoint?: string
  /** CIDRs (any host bits are cleared before comparing) */
  allowedIps: string[]
  /** seconds, 0 = off */
  persistentKeepalive: number
}

export interface WireGuardDeviceConfig {
  /** base64 X25519 private key */
  privateKey: string
  listenPort: number
  /** 0 = none */
  fwmark: number
  peers: WireGuardPeerConfig[]
}

export interface WireGuardPeerState {
  publicKey: string
  endpoint?: string
  allowedIps: string[]
  persistentKeepalive: number
  /** Epoch milliseconds of the last handshake, 0 if none. */
  lastHandshakeMs: number
  rxBytes: bigint
  txBytes: bigint
}

export interface WireGuardDeviceState {
  /** base64, absent when no private key is set */
  privateKey?: string
  listenPort: number
  fwmark: number
  peers: WireGuardPeerState[]
}

export interface SetResult {
  /** False when the device already matched: nothing was written. */
  changed: boolean
}

export type WireGuardBackendKind = 'userspace' | 'kernel'

export interface WireGuardBackend {
  readonly kind: WireGuardBackendKind
  /** Creates the interface if absent (adopts an existing one of that name). */
  up(ifname: string): Promise<void>
  /** Reconciles the device to `config`, writing only the difference. */
  set(ifname: string, config: WireGuardDeviceConfig): Promise<SetResult>
  get(ifname: string): Promise<WireGuardDeviceState>
  /** Names of the WireGuard interfaces this backend can see. */
  list(): Promise<string[]>
  /** Removes the interface. Removing an absent interface is not an error. */
  down(ifname: string): Promise<void>
  /** Removes every interface this backend instance brought up; idempotent. */
  close(): Promise<void>
}

export class WireGuardError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'WireGuardError'
  }
}
