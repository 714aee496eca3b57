/**
 * The few libc calls the optimizer tunnel needs and Node lacks, through koffi (docs/toolchain.md):
 * open + ioctl(TUNSETIFF) for a TUN device, non-blocking read/write on its descriptor, poll
 * (called asynchronously, on one of koffi's worker threads, so the event loop never waits for
 * a packet), and a raw UDP socket with SO_BINDTODEVICE so that a datagram leaves through one
 * given WireGuard interface (Node's dgram cannot set socket options on its descriptor).
 *
 * Loaded lazily: importing this file costs nothing on a host that never opens a TUN, and a
 * missing libc (non-Linux) is an error at first use, reported by the caller.
 */
import { createRequire } from 'node:module'

export interface Libc {
  open(path: string, flags: number): number
  ioctl(fd: number, request: number, arg: Buffer): number
  read(fd: number, buf: Uint8Array, length: number): number
  write(fd: number, buf: Uint8Array, length: number): number
  close(fd: number): number
  /** Synchronous poll; only for tests and zero timeouts. */
  poll(fds: Buffer, nfds: number, timeoutMs: number): number
  /** poll on a koffi worker thread; the callback runs on the main thread. */
  pollAsync(
    fds: Buffer,
    nfds: number,
    timeoutMs: number,
    done: (error: unknown, ready: number) => void,
  ): void
  socket(domain: number, type: number, protocol: number): number
  setsockopt(fd: number, level: number, name: number, value: Buffer, length: number): number
  sendto(
    fd: number,
    buf: Uint8Array,
    length: number,
    flags: number,
    to: Buffer,
    tolen: number,
  ): number
  errno(): number
}

export const O_RDWR = 2
export const O_NONBLOCK = 0o4000
export const O_CLOEXEC = 0o2000000
/** _IOW('T', 202, int) */
export const TUNSETIFF = 0x400454ca
export const IFF_TUN = 0x0001
export const IFF_NO_PI = 0x1000
export const AF_INET = 2
export const SOCK_DGRAM = 2
export const SOCK_NONBLOCK = 0o4000
export const SOCK_CLOEXEC = 0o2000000
export const SOL_SOCKET = 1
export const SO_BINDTODEVICE = 25
export const POLLIN = 0x001
export const EAGAIN = 11
export const EINTR = 4

let loaded: Libc | undefined

type KoffiFn = ((...args: unknown[]) => number) & {
  async: (...args: unknown[]) => void
}

interface KoffiModule {
  load(name: string): { func(signature: string): KoffiFn }
  errno(): number
}

/** The process-wide bindings (koffi loads libc once). */
export function libc(): Libc {
  if (loaded) return loaded
  // koffi ships CommonJS with a native addon; require keeps it out of the ESM graph until used.
  const koffi = createRequire(import.meta.url)('koffi') as KoffiModule
  const c = koffi.load('libc.so.6')
  const open = c.func('int open(const char *path, int flags)')
  // Declared non-variadic: koffi cannot call a variadic function asynchronously, and ioctl's
  // third argument is a pointer here, which the x86-64 and AArch64 ABIs pass the same way.
  const ioctl = c.func('int ioctl(int fd, unsigned long request, void *arg)')
  const read = c.func('long read(int fd, void *buf, unsigned long count)')
  const write = c.func('long write(int fd, const void *buf, unsigned long count)')
  const close = c.func('int close(int fd)')
  const poll = c.func('int poll(void *fds, unsigned long nfds, int timeout)')
  const socket = c.func('int socket(int domain, int type, int protocol)')
  const setsockopt = c.func(
    'int setsockopt(int fd, int level, int name, const void *value, unsigned int length)',
  )
  const sendto = c.func(
    'long sendto(int fd, const void *buf, unsigned long length, int flags, const void *to, unsigned int tolen)',
  )
  loaded = {
    open: (path, flags) => open(path, flags),
    ioctl: (fd, request, arg) => ioctl(fd, request, arg),
    read: (fd, buf, length) => read(fd, buf, length),
    write: (fd, buf, length) => write(fd, buf, length),
    close: (fd) => close(fd),
    poll: (fds, nfds, timeoutMs) => poll(fds, nfds, timeoutMs),
    pollAsync: (fds, nfds, timeoutMs, done) => poll.async(fds, nfds, timeoutMs, done),
    socket: (domain, type, protocol) => socket(domain, type, protocol),
    setsockopt: (fd, level, name, value, length) => setsockopt(fd, level, name, value, length),
    sendto: (fd, buf, length, flags, to, tolen) => sendto(fd, buf, length, flags, to, tolen),
    errno: () => koffi.errno(),
  }
  return loaded
}

/** `ENAME (n)` for messages; the few codes we meet by name, the rest by number. */
export function errnoText(code: number): string {
  const names: Record<number, string> = {
    1: 'EPERM',
    2: 'ENOENT',
    9: 'EBADF',
    11: 'EAGAIN',
    13: 'EACCES',
    16: 'EBUSY',
    19: 'ENODEV',
    22: 'EINVAL',
    24: 'EMFILE',
    90: 'EMSGSIZE',
    101: 'ENETUNREACH',
    105: 'ENOBUFS',
  }
  return `${names[code] ?? 'errno'} (${code})`
}
