/**
 * UDP traffic for the WAN optimizer lab tests and benchmark, run inside lab namespaces:
 *   send <host> <port> <pps> <durationMs> <size> <zeros|text|random>
 *        sequenced datagrams of `size` bytes at a fixed rate: seq (u32) and the send time
 *        (f64, epoch ms), then filler: zeros, English-like text (compressible) or random bytes
 *        (incompressible). Prints {sent, bytes} at the end.
 *   recv <bind> <port> <durationMs>
 *        prints one JSON line at the end: {received, maxSeq, seqs, delaysMs} (one-way delay
 *        from the sender's timestamp; the lab's namespaces share the host clock).
 *   blast <bindAddress> <host> <port> <file>
 *        sends every line of `file` (`x` + hex) as one datagram from bindAddress, paced, and prints
 *        how many were sent (the fuzz test's datagrams).
 * Every mode ends on its own (bounded), or on SIGTERM (recv still prints).
 */
import { randomBytes } from 'node:crypto'
import { createSocket } from 'node:dgram'
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'

const now = () => performance.timeOrigin + performance.now()
const [mode, a, b, c, d, e, f] = process.argv.slice(2)

const TEXT =
  'The optimizer groups packets into blocks and sends parity so that a lost packet is rebuilt ' +
  'at the far end without waiting for a retransmission; text like this compresses well. '

function filler(kind: string, size: number): Buffer {
  if (kind === 'random') return randomBytes(size)
  if (kind === 'text') return Buffer.from(TEXT.repeat(Math.ceil(size / TEXT.length)).slice(0, size))
  return Buffer.alloc(size)
}

if (mode === 'send') {
  const host = a ?? ''
  const port = Number(b)
  const pps = Number(c)
  const duration = Number(d)
  const size = Math.max(12, Number(e))
  const kind = f ?? 'zeros'
  const socket = createSocket('udp4')
  const start = now()
  let seq = 0
  let bytes = 0
  const tick = () => {
    const elapsed = now() - start
    if (elapsed >= duration) {
      process.stdout.write(`${JSON.stringify({ sent: seq, bytes })}\n`, () => {
        socket.close()
        process.exit(0)
      })
      return
    }
    const due = Math.floor((elapsed * pps) / 1000)
    while (seq <= due) {
      // A fresh buffer each time: send() reads it later, asynchronously.
      const buf = Buffer.concat([Buffer.alloc(12), filler(kind, size - 12)])
      buf.writeUInt32BE(seq, 0)
      buf.writeDoubleBE(now(), 4)
      socket.send(buf, port, host)
      bytes += buf.length
      seq++
    }
    setTimeout(tick, 1)
  }
  tick()
} else if (mode === 'recv') {
  const port = Number(b)
  const duration = Number(c)
  const socket = createSocket('udp4')
  const seen = new Set<number>()
  const delaysMs: number[] = []
  let maxSeq = -1
  socket.on('message', (msg) => {
    if (msg.length < 12) return
    const seq = msg.readUInt32BE(0)
    if (seen.has(seq)) return
    seen.add(seq)
    if (seq > maxSeq) maxSeq = seq
    delaysMs.push(Math.round((now() - msg.readDoubleBE(4)) * 1000) / 1000)
  })
  let done = false
  const finish = () => {
    if (done) return
    done = true
    process.stdout.write(
      `${JSON.stringify({ received: seen.size, maxSeq, seqs: [...seen], delaysMs })}\n`,
      () => {
        socket.close()
        process.exit(0)
      },
    )
  }
  socket.bind(port, a, () => process.stdout.write('ready\n'))
  setTimeout(finish, duration)
  process.on('SIGTERM', finish)
} else if (mode === 'blast') {
  // One datagram per line, `x` + hex (so an empty datagram is a line too).
  const lines = readFileSync(d ?? '', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('x'))
    .map((l) => l.slice(1))
  const socket = createSocket('udp4')
  let sent = 0
  socket.bind(0, a, async () => {
    for (const line of lines) {
      socket.send(Buffer.from(line, 'hex'), Number(c), b)
      sent++
      // ~2,000 datagrams/s: a fuzz, not a flood.
      if (sent % 20 === 0) await new Promise((r) => setTimeout(r, 10))
    }
    setTimeout(() => {
      process.stdout.write(`${JSON.stringify({ sent })}\n`, () => {
        socket.close()
        process.exit(0)
      })
    }, 200)
  })
} else {
  process.stderr.write('usage: wanopt-traffic send|recv|blast ...\n')
  process.exit(2)
}
