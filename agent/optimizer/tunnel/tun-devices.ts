/**
 * The TUN devices the optimizer tunnel opens, behind a small interface (docs/house-style.md,
 * rule 3): the kernel's, on /dev/net/tun through koffi and read by one TunPoller (tun.ts), and
 * fakes in the tunnel's unit tests, which run without root.
 */
import { TunDevice, TunPoller, type TunStats } from './tun'

/** What the tunnel needs of a TUN device (TunDevice). */
export type TunLike = Pick<TunDevice, 'name' | 'onPacket' | 'write' | 'configure' | 'close'> & {
  readonly stats: TunStats
}

export interface TunDevices {
  open(name: string): TunLike
  /** Starts the read loop (called once, after the first open succeeded). */
  poller(onError: (error: Error) => void): {
    add(device: TunLike): void
    remove(device: TunLike): Promise<void>
    close(): Promise<void>
  }
}

/** The real devices: TUNs on /dev/net/tun, read by one TunPoller. */
export const kernelTunDevices: TunDevices = {
  open: (name) => TunDevice.open(name),
  poller(onError) {
    const poller = new TunPoller({ onError })
    // Only TunDevices come from open() above.
    return {
      add: (d) => poller.add(d as TunDevice),
      remove: (d) => poller.remove(d as TunDevice),
      close: () => poller.close(),
    }
  },
}
