/**
 * An in-memory WireGuard backend for unit tests of the pipeline: interfaces come and go
 * with up/down, `set` reconciles like the real backends (reports `changed: false` when the
 * device already matches) and `dump()` prints every device as sorted text. When given a
 * MemoryRouting it also creates and deletes the link there, as the kernel would, so the
 * routing stages see the tunnels' devices.
 */
import type { MemoryRouting } from '../routing/memory'
import type {
  WireGuardBackend,
  WireGuardDeviceConfig,
  WireGuardDeviceState,
  WireGuardPeerConfig,
} from './types'

export interface MemoryWireGuard extends WireGuardBackend {
  dump(): string
  /** Next call to `method` throws `error` (once). */
  failNext(method: 'up' | 'set' | 'down' | 'close', error: Error): void
}

function peerText(p: WireGuardPeerConfig): string {
  const allowed = [...p.allowedIps].sort().join(',')
  return `  peer ${p.publicKey} endpoint ${p.endpoint ?? '-'} allowed ${allowed} keepalive ${p.persistentKeepalive}`
}

function deviceText(name: string, c: WireGuardDeviceConfig | undefined): string {
  if (!c) return `wg ${name} (unconfigured)`
  const peers = [...c.peers].sort((a, b) => a.publicKey.localeCompare(b.publicKey)).map(peerText)
  return [`wg ${name} port ${c.listenPort} fwmark 0x${c.fwmark.toString(16)}`, ...peers].join('\n')
}

export function memoryWireGuard(routing?: MemoryRouting): MemoryWireGuard {
  const devices = new Map<string, WireGuardDeviceConfig | undefined>()
  const failures = new Map<string, Error>()
  const fail = (method: string) => {
    const error = failures.get(method)
    if (error) {
      failures.delete(method)
      throw error
    }
  }
  return {
    kind: 'userspace',
    failNext(method, error) {
      failures.set(method, error)
    },
    async up(ifname) {
      fail('up')
      if (devices.has(ifname)) return
      devices.set(ifname, undefined)
      await routing?.createLink(ifname, 'wireguard')
    },
    async set(ifname, config) {
      fail('set')
      if (!devices.has(ifname)) throw new Error(`set ${ifname}: no such device`)
      const before = devices.get(ifname)
      const same = before !== undefined && deviceText(ifname, before) === deviceText(ifname, config)
      devices.set(ifname, structuredClone(config))
      return { changed: !same }
    },
    async get(ifname): Promise<WireGuardDeviceState> {
      const c = devices.get(ifname)
      if (!devices.has(ifname)) throw new Error(`get ${ifname}: no such device`)
      return {
        listenPort: c?.listenPort ?? 0,
        fwmark: c?.fwmark ?? 0,
        peers: (c?.peers ?? []).map((p) => ({
          ...p,
          lastHandshakeMs: 0,
          rxBytes: 0n,
          txBytes: 0n,
        })),
      }
    },
    async list() {
      return [...devices.keys()].sort()
    },
    async down(ifname) {
      fail('down')
      if (!devices.delete(ifname)) return
      await routing?.deleteLink(ifname)
    },
    async close() {
      fail('close')
      for (const name of [...devices.keys()]) {
        devices.delete(name)
        await routing?.deleteLink(name)
      }
    },
    dump() {
      return [...devices.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, c]) => deviceText(name, c))
        .join('\n')
    },
  }
}
