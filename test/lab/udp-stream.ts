/**
 * A tiny constant-rate UDP stream for failover measurements, run inside lab namespaces:
 *   send <host> <port> <pps> <durationMs>   sequenced datagrams at a fixed rate
 *   recv <bind> <port> <durationMs>         prints one JSON line at the end:
 *     {received, maxSeq, arrivals: [[epochMs, seq], ...]} (arrival times from the host clock)
 * Both end on their own after durationMs (bounded), or on SIGTERM (recv still prints).
 */
import { createSocket } from 'node:dgram'
import { performance } from 'node:perf_hooks'

const now = () => performance.timeOrigin + performance.now()
const [mode, a, b, c, d] = process.argv.slice(2)

if (mode === 'send') {
  const host = a ?? ''
  const port = Number(b)
  const pps = Number(c)
  const duration = Number(d)
  const socket = createSocket('udp4')
  const start = now()
  let seq = 0
  const tick = () => {
    const elapsed = now() - start
    if (elapsed >= duration) {
      socket.close()
      return
    }
    // Catch up to the schedule: seq should be elapsed * pps / 1000.
    const due = Math.floor((elapsed * pps) / 1000)
    while (seq <= due) {
      // A fresh buffer each time: send() reads it later, asynchronously.
      const buf = Buffer.alloc(64)
      buf.writeUInt32BE(seq, 0)
      buf.writeDoubleBE(now(), 4)
      socket.send(buf, port, host)
      seq++
    }
    setTimeout(tick, 1)
  }
  tick()
} else if (mode === 'recv') {
  const port = Number(b)
  const duration = Number(c)
  const socket = createSocket('udp4')
  const arrivals: [number, number][] = []
  let maxSeq = -1
  socket.on('message', (msg) => {
    if (msg.length < 4) return
    const seq = msg.readUInt32BE(0)
    if (seq > maxSeq) maxSeq = seq
    arrivals.push([Math.round(now() * 1000) / 1000, seq])
  })
  let done = false
  const finish = () => {
    if (done) return
    done = true
    process.stdout.write(
      `${JSON.stringify({ received: arrivals.length, maxSeq, arrivals })}\n`,
      () => {
        socket.close()
        process.exit(0)
      },
    )
  }
  socket.bind(port, a, () => process.stdout.write('ready\n'))
  setTimeout(finish, duration)
  process.on('SIGTERM', finish)
}
