/**
 * Kernel WireGuard over generic netlink (family `wireguard`), with links made over
 * rtnetlink. Used when the kernel has the module; select.ts falls back to userspace when
 * the family is absent (as on the lab machines, docs/lab.md).
 */
import { createWireGuard, type WireGuardSocket, type wg } from 'netlink'
import { type Family, parseIp } from '../../protocol/net'
import { bufferToIp, ipToBuffer, splitCidr } from '../routing/addr'
import type { Routing } from '../routing/types'
import { type DeviceUpdate, planDeviceUpdate } from './diff'
import { keyToBytes } from './keys'
import {
  type SetResult,
  type WireGuardBackend,
  type WireGuardDeviceConfig,
  type WireGuardDeviceState,
  WireGuardError,
  type WireGuardPeerState,
} from './types'

const AF_INET = 2
const AF_INET6 = 10
const TIMEOUT_MS = 3_000

/** struct sockaddr_in / sockaddr_in6 of `ip:port` or `[ip6]:port`. */
export function encodeSockaddr(endpoint: string): Buffer {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(endpoint) ?? /^([^:]+):(\d+)$/.exec(endpoint)
  const host = match?.[1]
  const port = Number(match?.[2])
  const ip = host ? parseIp(host) : undefined
  if (!ip || !(port > 0 && port < 65536)) throw new WireGuardError(`bad endpoint ${endpoint}`)
  const addr = ipToBuffer(host ?? '').bytes
  if (ip.family === 4) {
    const out = Buffer.alloc(16)
    out.writeUInt16LE(AF_INET, 0)
    out.writeUInt16BE(port, 2)
    addr.copy(out, 4)
    return out
  }
  const out = Buffer.alloc(28)
  out.writeUInt16LE(AF_INET6, 0)
  out.writeUInt16BE(port, 2)
  addr.copy(out, 8)
  return out
}

export function decodeSockaddr(buf: Buffer): string | undefined {
  if (buf.length < 4) return undefined
  const family = buf.readUInt16LE(0)
  const port = buf.readUInt16BE(2)
  if (family === AF_INET && buf.length >= 8) return `${bufferToIp(buf.subarray(4, 8))}:${port}`
  if (family === AF_INET6 && buf.length >= 24) {
    return `[${bufferToIp(buf.subarray(8, 24))}]:${port}`
  }
  return undefined
}

function allowedIp(cidr: string): wg.AllowedIp {
  const { family, address, length } = splitCidr(cidr)
  return {
    family: family === 4 ? AF_INET : AF_INET6,
    ipaddr: ipToBuffer(address).bytes,
    cidrMask: length,
  }
}

export function toNetlinkDevice(update: DeviceUpdate): wg.Device {
  const device: wg.Device = {}
  if (update.privateKey !== undefined) device.privateKey = keyToBytes(update.privateKey)
  if (update.listenPort !== undefined) device.listenPort = update.listenPort
  if (update.fwmark !== undefined) device.fwmark = update.fwmark
  device.peers = update.peers.map((p) => {
    const peer: wg.Peer = { publicKey: keyToBytes(p.publicKey) }
    if (p.remove) {
      peer.flags = { removeMe: true }
      return peer
    }
    if (p.endpoint !== undefined) peer.endpoint = encodeSockaddr(p.endpoint)
    if (p.persistentKeepalive !== undefined) {
      peer.persistentKeepaliveInterval = p.persistentKeepalive
    }
    if (p.allowedIps !== undefined) {
      peer.flags = { replaceAllowedIps: true }
      peer.allowedIps = p.allowedIps.map(allowedIp)
    }
    return peer
  })
  return device
}

export class KernelWireGuardBackend implements WireGuardBackend {
  readonly kind = 'kernel' as const
  private readonly created = new Set<string>()
  private readonly applied = new Map<string, WireGuardDeviceConfig>()

  constructor(
    private readonly socket: WireGuardSocket,
    private readonly routing: Routing,
  ) {}

  static async open(routing: Routing): Promise<KernelWireGuardBackend> {
    return new KernelWireGuardBackend(await createWireGuard(), routing)
  }

  async up(ifname: string): Promise<void> {
    if (await this.routing.link(ifname)) return
    await this.routing.createLink(ifname, 'wireguard')
    this.created.add(ifname)
  }

  async get(ifname: string): Promise<WireGuardDeviceState> {
    // A large device comes back in several messages; peers continue across them.
    const parts = await this.socket.getDevice(ifname, { timeout: TIMEOUT_MS })
    const state: WireGuardDeviceState = { listenPort: 0, fwmark: 0, peers: [] }
    const peers = new Map<string, WireGuardPeerState>()
    for (const part of parts) {
      if (part.privateKey?.some((b) => b !== 0)) {
        state.privateKey = part.privateKey.toString('base64')
      }
      if (part.listenPort !== undefined) state.listenPort = part.listenPort
      if (part.fwmark !== undefined) state.fwmark = part.fwmark
      for (const p of part.peers ?? []) {
        if (!p.publicKey) continue
        const key = p.publicKey.toString('base64')
        let peer = peers.get(key)
        if (!peer) {
          peer = {
            publicKey: key,
            allowedIps: [],
            persistentKeepalive: p.persistentKeepaliveInterval ?? 0,
            lastHandshakeMs: 0,
            rxBytes: p.rxBytes ?? 0n,
            txBytes: p.txBytes ?? 0n,
          }
          peers.set(key, peer)
          state.peers.push(peer)
        }
        const endpoint = p.endpoint ? decodeSockaddr(p.endpoint) : undefined
        if (endpoint) peer.endpoint = endpoint
        if (p.lastHandshakeTime && p.lastHandshakeTime.length >= 16) {
          const sec = Number(p.lastHandshakeTime.readBigInt64LE(0))
          const nsec = Number(p.lastHandshakeTime.readBigInt64LE(8))
          peer.lastHandshakeMs = sec * 1000 + Math.floor(nsec / 1e6)
        }
        for (const a of p.allowedIps ?? []) {
          if (!a.ipaddr || a.cidrMask === undefined) continue
          const family: Family = a.family === AF_INET6 ? 6 : 4
          const ip = bufferToIp(family === 4 ? a.ipaddr.subarray(0, 4) : a.ipaddr)
          peer.allowedIps.push(`${ip}/${a.cidrMask}`)
        }
      }
    }
    return state
  }

  async set(ifname: string, config: WireGuardDeviceConfig): Promise<SetResult> {
    const update = planDeviceUpdate(await this.get(ifname), config, this.applied.get(ifname))
    if (update) {
      try {
        await this.socket.setDevice(ifname, toNetlinkDevice(update), { timeout: TIMEOUT_MS })
      } catch (err) {
        throw new WireGuardError(`set ${ifname}: ${err}`, { cause: err })
      }
    }
    this.applied.set(ifname, config)
    return { changed: update !== undefined }
  }

  async list(): Promise<string[]> {
    return (await this.routing.links()).filter((l) => l.kind === 'wireguard').map((l) => l.name)
  }

  async down(ifname: string): Promise<void> {
    this.applied.delete(ifname)
    this.created.delete(ifname)
    await this.routing.deleteLink(ifname)
  }

  async close(): Promise<void> {
    for (const name of [...this.created]) await this.down(name)
    this.socket.socket.socket.close()
  }
}
