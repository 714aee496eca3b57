/**
 * A TUN device owned by the agent: opened on /dev/net/tun with TUNSETIFF (IFF_TUN | IFF_NO_PI:
 * raw IP packets, no packet-information header) in the caller's network namespace, which for
 * the agent is the site's. The device exists as long as its descriptor is open and is not
 * persistent, so close() (or the process dying) removes it; there is nothing to sweep after
 * a crash.
 *
 * Reading never blocks the event loop: the descriptor is non-blocking, and one TunPoller per
 * process waits in poll(2) on a koffi worker thread for all devices at once; when it returns,
 * the main thread drains every ready device with plain read(2) calls until EAGAIN (a batch per
 * wake-up, so the thread hop is paid per burst, not per packet). The read buffer is reused:
 * a packet handed to `onPacket` is valid only until the callback returns (the optimizer's
 * sender copies what it keeps).
 *
 * Link setup (up, MTU, address) goes through the agent's rtnetlink Routing, like every other
 * link the agent manages.
 */
import type { Routing } from '../../routing/types'
import {
  EAGAIN,
  EINTR,
  errnoText,
  IFF_NO_PI,
  IFF_TUN,
  type Libc,
  libc,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDWR,
  POLLIN,
  TUNSETIFF,
} from './libc'

export const TUN_PATH = '/dev/net/tun'
/** Largest IP packet read at once (a TUN never hands out more than its MTU; 64 KiB covers any). */
const READ_BUFFER = 65_536
/** Packets read per device per wake-up before yielding to the event loop. */
const MAX_BATCH = 256
/** Consecutive failed poll(2) calls before the loop gives up (and says so). */
const MAX_POLL_FAILURES = 100

export class TunError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TunError'
  }
}

export interface TunStats {
  packetsRead: number
  bytesRead: number
  packetsWritten: number
  bytesWritten: number
  /** write(2) refused a packet (e.g. the device went down); the packet is lost. */
  writeErrors: number
  /** read(2) failed with something other than EAGAIN. */
  readErrors: number
}

export class TunDevice {
  readonly stats: TunStats = {
    packetsRead: 0,
    bytesRead: 0,
    packetsWritten: 0,
    bytesWritten: 0,
    writeErrors: 0,
    readErrors: 0,
  }
  /** Gets each packet read; the view is reused after the callback returns. */
  onPacket: ((packet: Uint8Array) => void) | undefined
  #fd: number
  readonly #c: Libc

  private constructor(
    readonly name: string,
    fd: number,
    c: Libc,
  ) {
    this.#fd = fd
    this.#c = c
  }

  /** Creates the device `name` (at most 15 characters) in the caller's network namespace. */
  static open(name: string, c: Libc = libc()): TunDevice {
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) {
      throw new TunError(`TUN name ${JSON.stringify(name)}: 1-15 of [A-Za-z0-9_.-]`)
    }
    const fd = c.open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC)
    if (fd < 0) throw new TunError(`open ${TUN_PATH}: ${errnoText(c.errno())}`)
    // struct ifreq: char ifr_name[16]; short ifr_flags; (padded to 40 bytes)
    const ifr = Buffer.alloc(40)
    ifr.write(name, 0, 'latin1')
    ifr.writeUInt16LE(IFF_TUN | IFF_NO_PI, 16)
    if (c.ioctl(fd, TUNSETIFF, ifr) < 0) {
      const err = c.errno()
      c.close(fd)
      throw new TunError(`TUNSETIFF ${name}: ${errnoText(err)}`)
    }
    return new TunDevice(name, fd, c)
  }

  get fd(): number {
    return this.#fd
  }

  get closed(): boolean {
    return this.#fd < 0
  }

  /** Brings the link up with `mtu` and, if given, an address (e.g. a /32 of the site). */
  async configure(
    routing: Pick<Routing, 'setLink' | 'ensureAddress'>,
    options: { mtu: number; address?: string },
  ): Promise<void> {
    await routing.setLink(this.name, { mtu: options.mtu, up: true })
    if (options.address) await routing.ensureAddress(this.name, options.address)
  }

  /** Hands one IP packet to the kernel as if it arrived on this device; false if refused. */
  write(packet: Uint8Array): boolean {
    if (this.#fd < 0) return false
    const n = this.#c.write(this.#fd, packet, packet.length)
    if (n !== packet.length) {
      this.stats.writeErrors++
      return false
    }
    this.stats.packetsWritten++
    this.stats.bytesWritten += n
    return true
  }

  /** Reads what is queued (up to a batch), calling onPacket; returns how many were read. */
  drain(buffer: Uint8Array): number {
    let count = 0
    while (this.#fd >= 0 && count < MAX_BATCH) {
      const n = this.#c.read(this.#fd, buffer, buffer.length)
      if (n < 0) {
        const err = this.#c.errno()
        if (err === EINTR) continue
        // EAGAIN: queue empty. Anything else (the device gone) ends this batch too; the
        // poller keeps going, and close() is how a device leaves.
        if (err !== EAGAIN) this.stats.readErrors++
        break
      }
      if (n === 0) break
      count++
      this.stats.packetsRead++
      this.stats.bytesRead += n
      this.onPacket?.(buffer.subarray(0, n))
    }
    return count
  }

  /** Closes the descriptor: the kernel removes the device. Idempotent. */
  close(): void {
    if (this.#fd < 0) return
    const fd = this.#fd
    this.#fd = -1
    this.#c.close(fd)
  }
}

export interface TunPollerStats {
  /** poll(2) calls returned (each one thread hop). */
  wakeups: number
  /** Wake-ups that found packets (the rest were timeouts). */
  busyWakeups: number
  packets: number
}

/**
 * One poll(2) loop for every TUN device of the process. A device added while a poll is
 * running is included from the next round, at most `timeoutMs` later; close() waits for the
 * running poll to come back before devices may be closed (a descriptor must not be closed
 * while another thread polls it).
 */
export class TunPoller {
  readonly stats: TunPollerStats = { wakeups: 0, busyWakeups: 0, packets: 0 }
  readonly #devices = new Set<TunDevice>()
  readonly #c: Libc
  readonly #timeoutMs: number
  readonly #buffer = new Uint8Array(READ_BUFFER)
  #running: Promise<void> | undefined
  #stopped = false
  #onError: (error: Error) => void

  constructor(options: { timeoutMs?: number; libc?: Libc; onError?: (error: Error) => void } = {}) {
    this.#c = options.libc ?? libc()
    this.#timeoutMs = options.timeoutMs ?? 100
    this.#onError = options.onError ?? (() => {})
  }

  add(device: TunDevice): void {
    if (this.#stopped) throw new TunError('TUN poller is closed')
    this.#devices.add(device)
    if (!this.#running) this.#running = this.#loop()
  }

  /**
   * Stops polling `device` and waits until no poll(2) can still hold its descriptor; the
   * caller closes it afterwards.
   */
  async remove(device: TunDevice): Promise<void> {
    if (!this.#devices.delete(device)) return
    await this.#settled()
  }

  /** Stops the loop (within one poll timeout). Devices stay open: their owners close them. */
  async close(): Promise<void> {
    this.#stopped = true
    await this.#running
  }

  /** Resolves once the poll running now (if any) has returned. */
  #settled(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.#running) return resolve()
      this.#waiters.push(resolve)
    })
  }

  #waiters: (() => void)[] = []

  async #loop(): Promise<void> {
    let failures = 0
    let failed = false
    try {
      while (!this.#stopped && this.#devices.size > 0) {
        const devices = [...this.#devices]
        // struct pollfd { int fd; short events; short revents; }
        const fds = Buffer.alloc(8 * devices.length)
        devices.forEach((d, i) => {
          fds.writeInt32LE(d.fd, 8 * i)
          fds.writeInt16LE(POLLIN, 8 * i + 4)
        })
        const ready = await new Promise<number>((resolve, reject) => {
          this.#c.pollAsync(fds, devices.length, this.#timeoutMs, (error, n) =>
            error ? reject(error) : resolve(n),
          )
        })
        this.stats.wakeups++
        const waiters = this.#waiters.splice(0)
        for (const w of waiters) w()
        if (ready < 0) {
          // errno lives on the worker thread that ran poll; EINTR is the likely cause, and a
          // persistent failure must not spin: give up after a run of them.
          if (++failures >= MAX_POLL_FAILURES) throw new TunError(`poll failed ${failures} times`)
          continue
        }
        failures = 0
        if (ready === 0) continue
        this.stats.busyWakeups++
        devices.forEach((d, i) => {
          const revents = fds.readInt16LE(8 * i + 6)
          if (revents === 0 || !this.#devices.has(d) || d.closed) return
          try {
            this.stats.packets += d.drain(this.#buffer)
          } catch (error) {
            // A throwing packet handler must not stop the other devices.
            this.#onError(error as Error)
          }
        })
      }
    } catch (error) {
      failed = true
      this.#onError(error as Error)
    } finally {
      this.#running = undefined
      for (const w of this.#waiters.splice(0)) w()
      // Devices added after the loop decided to end get a new loop (not after a failure).
      if (!failed && !this.#stopped && this.#devices.size > 0) this.#running = this.#loop()
    }
  }
}
