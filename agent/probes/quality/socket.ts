/**
 * The datagram sockets probes use, behind a small interface (docs/house-style.md, rule 3) so
 * that the prober and responder run over real UDP (node:dgram) in the agent and over an
 * in-memory network (memory-socket.ts) under a fake clock in tests.
 */
import { createSocket, type Socket } from 'node:dgram'
import { isIPv6 } from 'node:net'

export interface Remote {
  address: string
  port: number
}

export interface ProbeSocket {
  /** The bound local address and port. */
  readonly local: Remote
  /** Fire and forget; a failed send is reported to `onError`, never thrown. */
  send(bytes: Uint8Array, to: Remote): void
  close(): Promise<void>
}

export interface BindOptions {
  address: string
  /** 0 for an ephemeral port. */
  port: number
  onMessage(bytes: Uint8Array, from: Remote): void
  onError?(error: Error): void
}

export interface ProbeSocketFactory {
  bind(options: BindOptions): Promise<ProbeSocket>
}

/** Bytes of a datagram passed to the handler; anything longer fails the length check anyway. */
const RECV_BUFFER = 2048

export const udpSocketFactory: ProbeSocketFactory = {
  bind(options) {
    return new Promise((resolve, reject) => {
      const socket: Socket = createSocket({
        type: isIPv6(options.address) ? 'udp6' : 'udp4',
        recvBufferSize: 1 << 20,
      })
      const onBindError = (error: Error) => {
        socket.close()
        reject(new Error(`bind probe socket ${options.address}:${options.port}`, { cause: error }))
      }
      socket.once('error', onBindError)
      socket.on('message', (msg, rinfo) => {
        // Node hands over whole datagrams (up to 64 KiB); pass at most RECV_BUFFER + 1 bytes
        // on: still longer than any probe, so the parser drops it as oversized.
        options.onMessage(msg.length > RECV_BUFFER ? msg.subarray(0, RECV_BUFFER + 1) : msg, {
          address: rinfo.address,
          port: rinfo.port,
        })
      })
      socket.bind({ address: options.address, port: options.port, exclusive: true }, () => {
        socket.off('error', onBindError)
        socket.on('error', (error) => options.onError?.(error))
        const addr = socket.address()
        let closed = false
        resolve({
          local: { address: addr.address, port: addr.port },
          send(bytes, to) {
            if (closed) return
            socket.send(bytes, to.port, to.address, (error) => {
              if (error) options.onError?.(error)
            })
          },
          close() {
            if (closed) return Promise.resolve()
            closed = true
            return new Promise<void>((done) => socket.close(() => done()))
          },
        })
      })
    })
  },
}
