/**
 * In-memory TUN devices and path sockets for tests of the optimizer tunnel and of the whole
 * pipeline without root. A TUN opened here appears as a link in the MemoryRouting (the
 * real one is created by an ioctl on /dev/net/tun, not through rtnetlink) and disappears
 * when closed; packets written to it are kept. Path sockets keep what they send.
 */
import type { MemoryRouting } from '../../routing/memory'
import type { PathSocket } from './path-socket'
import type { TunDevices, TunLike } from './tunnel'

export interface MemoryTun extends TunLike {
  written: Uint8Array[]
  closed: boolean
}

export function memoryTunDevices(
  routing: MemoryRouting,
): TunDevices & { tuns: Map<string, MemoryTun> } {
  const tuns = new Map<string, MemoryTun>()
  return {
    tuns,
    open(name) {
      routing.addLink(name, 'tun')
      const tun: MemoryTun = {
        name,
        onPacket: undefined,
        written: [],
        closed: false,
        stats: {
          packetsRead: 0,
          bytesRead: 0,
          packetsWritten: 0,
          bytesWritten: 0,
          writeErrors: 0,
          readErrors: 0,
        },
        write(p) {
          this.written.push(Uint8Array.from(p))
          return true
        },
        async configure(r, options) {
          await r.setLink(name, { mtu: options.mtu, up: true })
        },
        close() {
          routing.calls.push(`close ${name}`)
          routing.removeLink(name)
          this.closed = true
        },
      }
      tuns.set(name, tun)
      return tun
    },
    poller: () => ({ add() {}, async remove() {}, close: async () => {} }),
  }
}

/** Sockets that capture datagrams per device instead of sending them. */
export function memoryPathSockets() {
  const sent: { device: string; address: string; datagram: Uint8Array }[] = []
  const open = (device: string, address: string, port: number) =>
    ({
      device,
      address,
      port,
      send(d: Uint8Array) {
        sent.push({ device, address, datagram: Uint8Array.from(d) })
        return true
      },
      close() {},
    }) as unknown as PathSocket
  return { sent, open }
}
