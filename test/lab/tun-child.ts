/**
 * Runs inside a lab namespace (tun.lab.test.ts): opens a TUN with the agent's TunDevice and
 * TunPoller, sets it up over rtnetlink, and echoes every UDP packet routed into it back to the
 * sender (addresses and ports swapped: both checksums stay valid). A UDP socket in this same
 * process sends bursts through it while the event loop's delay is recorded, then idles, then
 * the device is closed and must be gone. Prints one JSON line with the figures.
 *   tun-child.ts <tun name> <count>
 */
import { createSocket } from 'node:dgram'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { TunDevice, TunPoller } from '../../agent/optimizer/tunnel/tun'
import { createRtNetlinkRouting } from '../../agent/routing/rtnetlink'

const [name = 'pttun0', countText = '20000'] = process.argv.slice(2)
const count = Number(countText)
const LOCAL = '10.77.0.1'
const REMOTE = '10.77.0.2'
const PORT = 40_000

function swap(packet: Uint8Array): void {
  const ihl = (packet[0]! & 0x0f) * 4
  for (let i = 0; i < 4; i++) {
    const s = packet[12 + i]!
    packet[12 + i] = packet[16 + i]!
    packet[16 + i] = s
  }
  for (let i = 0; i < 2; i++) {
    const s = packet[ihl + i]!
    packet[ihl + i] = packet[ihl + 2 + i]!
    packet[ihl + 2 + i] = s
  }
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

async function main(): Promise<void> {
  const routing = createRtNetlinkRouting()
  const tun = TunDevice.open(name)
  const poller = new TunPoller()
  let echoed = 0
  tun.onPacket = (packet) => {
    // UDP to REMOTE only (the kernel may send IPv6 router solicitations too).
    if (packet[0]! >> 4 !== 4 || packet[9] !== 17) return
    swap(packet)
    if (tun.write(packet)) echoed++
  }
  await tun.configure(routing, { mtu: 1400, address: `${LOCAL}/24` })
  // Loose rp_filter: the echoes come back in on the TUN from REMOTE.
  poller.add(tun)

  const socket = createSocket('udp4')
  await new Promise<void>((resolve) => socket.bind(PORT, LOCAL, () => resolve()))
  const rtts: number[] = []
  socket.on('message', (msg) => {
    rtts.push(performance.now() - msg.readDoubleBE(0))
  })

  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  const started = performance.now()
  let sent = 0
  // Bursts of 25 every ms (~20k packets/s): the reads come in batches while the loop keeps
  // turning; larger bursts overflow the test socket's own receive buffer, not the TUN.
  while (sent < count) {
    for (let i = 0; i < 25 && sent < count; i++, sent++) {
      const buf = Buffer.alloc(64)
      buf.writeDoubleBE(performance.now(), 0)
      socket.send(buf, PORT, REMOTE)
    }
    await new Promise((r) => setTimeout(r, 1))
  }
  const deadline = performance.now() + 5_000
  while (rtts.length < sent && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10))
  }
  const busyMs = performance.now() - started
  loop.disable()
  const busyLoop = {
    p50: loop.percentile(50) / 1e6,
    p99: loop.percentile(99) / 1e6,
    max: loop.max / 1e6,
  }

  // Idle: the poll waits on a koffi thread; the loop must stay free.
  const idle = monitorEventLoopDelay({ resolution: 1 })
  idle.enable()
  const wakeupsBefore = poller.stats.wakeups
  await new Promise((r) => setTimeout(r, 1_000))
  idle.disable()
  const idleWakeups = poller.stats.wakeups - wakeupsBefore

  await new Promise<void>((resolve) => socket.close(() => resolve()))
  await poller.remove(tun)
  await poller.close()
  tun.close()
  const gone = (await routing.link(name)) === undefined
  routing.close()
  process.stdout.write(
    `${JSON.stringify({
      sent,
      read: tun.stats.packetsRead,
      echoed,
      received: rtts.length,
      busyMs,
      wakeups: poller.stats.wakeups,
      busyWakeups: poller.stats.busyWakeups,
      idleWakeups,
      rttMs: { p50: percentile(rtts, 50), p99: percentile(rtts, 99) },
      loopDelayMs: {
        busy: busyLoop,
        idle: {
          p50: idle.percentile(50) / 1e6,
          p99: idle.percentile(99) / 1e6,
          max: idle.max / 1e6,
        },
      },
      gone,
    })}\n`,
  )
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`)
  process.exit(1)
})
