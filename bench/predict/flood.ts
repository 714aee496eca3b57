/**
 * A constant-bit-rate UDP flood for the predictive lab, run in the WAN namespace:
 *   flood <host> <port> <kbit/s> <payload bytes> <durationMs>
 * Sent slightly faster than a tbf on the uplink lets through, it fills the tbf queue at a
 * steady pace: a real queue build-up (an RTT ramp seen by every packet behind it, probes and
 * BFD included) before the queue overflows. Ends on its own after durationMs, or on SIGTERM.
 */
import { createSocket } from 'node:dgram'
import { performance } from 'node:perf_hooks'

const [host = '', portText, kbitText, sizeText, durationText] = process.argv.slice(2)
const port = Number(portText)
const bytesPerMs = (Number(kbitText) * 1000) / 8 / 1000
const size = Math.max(16, Math.min(1400, Number(sizeText)))
const duration = Math.min(10 * 60_000, Number(durationText))
const socket = createSocket('udp4')
const payload = Buffer.alloc(size)
const start = performance.now()
let sent = 0

const tick = () => {
  const elapsed = performance.now() - start
  if (elapsed >= duration) {
    socket.close()
    return
  }
  // Keep to the schedule (bytes sent = elapsed x rate), but never catch up more than 4 ms
  // of it at once: after a stall of the event loop a burst would step the queue's delay by
  // the whole stall, and a step over BFD's detection time reads as a path down.
  const due = Math.floor((elapsed * bytesPerMs) / size)
  if (due - sent > Math.ceil((4 * bytesPerMs) / size))
    sent = due - Math.ceil((4 * bytesPerMs) / size)
  while (sent < due) {
    socket.send(payload, port, host)
    sent++
  }
  setTimeout(tick, 2)
}
process.on('SIGTERM', () => process.exit(0))
socket.bind(0, () => {
  process.stdout.write('ready\n')
  tick()
})
