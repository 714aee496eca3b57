/**
 * Traffic for the classifier lab, run inside a namespace (`ip netns exec NS tsx this ...`):
 *   udp-send HOST PORT SPORT COUNT KIND   KIND: sip | rtp | plain
 *   udp-flows HOST PORT SPORT0 NFLOWS COUNT
 *   udp-blast HOST PORT SECONDS MBPS [SIZE]   SIZE: datagram bytes (default 1400)
 *   tls-server PORT CERT KEY              prints "ready", counts bytes, answers with the count
 *   tls-client HOST PORT SERVERNAME BYTES prints the server's count
 * Every loop is bounded; every socket closes.
 */
import { createSocket } from 'node:dgram'
import { readFileSync } from 'node:fs'
import { connect, createServer } from 'node:tls'

const [mode, ...args] = process.argv.slice(2)

function payload(kind: string, seq: number): Buffer {
  if (kind === 'sip' && seq === 0)
    return Buffer.from('INVITE sip:bob@10.99.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP lab\r\n\r\n')
  if (kind === 'rtp' || kind === 'sip') {
    const b = Buffer.alloc(172)
    b[0] = 0x80 // version 2
    b[1] = 0 // PCMU
    b.writeUInt16BE(seq & 0xffff, 2)
    b.writeUInt32BE(seq * 160, 4)
    b.writeUInt32BE(0x1234, 8)
    return b
  }
  return Buffer.alloc(100, seq & 0xff)
}

async function udpSend(host: string, port: number, sport: number, count: number, kind: string) {
  const sock = createSocket('udp4')
  await new Promise<void>((r) => sock.bind(sport, r))
  for (let i = 0; i < count; i++) {
    await new Promise<void>((r, j) =>
      sock.send(payload(kind, i), port, host, (e) => (e ? j(e) : r())),
    )
  }
  sock.close()
}

/** nflows flows (source ports sport0..), count datagrams each, one socket per flow. */
async function udpFlows(host: string, port: number, sport0: number, nflows: number, count: number) {
  for (let f = 0; f < nflows; f++) await udpSend(host, port, sport0 + f, count, 'plain')
}

async function udpBlast(host: string, port: number, seconds: number, mbps: number, size = 1400) {
  const sock = createSocket('udp4')
  const buf = Buffer.alloc(size)
  const perMs = (mbps * 1e6) / 8 / size / 1000
  const start = Date.now()
  let sent = 0
  while (Date.now() - start < seconds * 1000) {
    const due = (Date.now() - start) * perMs
    const burst = Math.min(200, Math.max(0, Math.floor(due - sent)))
    for (let i = 0; i < burst; i++) sock.send(buf, port, host)
    sent += burst
    await new Promise((r) => setTimeout(r, 1))
  }
  await new Promise((r) => setTimeout(r, 100))
  sock.close()
  console.log(String(sent))
}

function tlsServer(port: number, cert: string, key: string) {
  const server = createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (sock) => {
    let n = 0
    sock.on('data', (d: Buffer) => {
      n += d.length
    })
    sock.on('end', () => sock.end(`${n}\n`))
    sock.on('error', () => {})
  })
  server.listen(port, () => console.log('ready'))
  process.on('SIGTERM', () => process.exit(0))
}

function tlsClient(host: string, port: number, servername: string, bytes: number) {
  const sock = connect({ host, port, servername, rejectUnauthorized: false }, () => {
    sock.end(Buffer.alloc(bytes, 0x61))
  })
  let reply = ''
  sock.setEncoding('utf8')
  sock.on('data', (d: string) => {
    reply += d
  })
  sock.on('end', () => {
    console.log(reply.trim())
    process.exit(0)
  })
  sock.on('error', (e) => {
    console.error(e.message)
    process.exit(1)
  })
  setTimeout(() => process.exit(2), 20_000).unref()
}

const n = (i: number) => Number(args[i])
if (mode === 'udp-send') await udpSend(args[0]!, n(1), n(2), n(3), args[4] ?? 'plain')
else if (mode === 'udp-flows') await udpFlows(args[0]!, n(1), n(2), n(3), n(4))
else if (mode === 'udp-blast') await udpBlast(args[0]!, n(1), n(2), n(3), args[4] ? n(4) : 1400)
else if (mode === 'tls-server') tlsServer(n(0), args[1]!, args[2]!)
else if (mode === 'tls-client') tlsClient(args[0]!, n(1), args[2]!, n(3))
else {
  console.error(`unknown mode ${mode}`)
  process.exit(64)
}
