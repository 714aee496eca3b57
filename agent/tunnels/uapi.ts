/**
 * The wireguard-go cross-platform UAPI (https://www.wireguard.com/xplatform/): the text
 * `get=1` / `set=1` protocol over the unix socket /var/run/wireguard/<ifname>.sock. Keys
 * are hex on this wire. A reply ends with `errno=N` and an empty line; 0 means applied.
 */
import { createConnection } from 'node:net'
import type { DeviceUpdate } from './diff'
import { base64ToHex, hexToBase64, isZeroKey } from './keys'
import { type WireGuardDeviceState, WireGuardError, type WireGuardPeerState } from './types'

export const UAPI_SOCKET_DIR = '/var/run/wireguard'

export function uapiSocketPath(ifname: string, dir = UAPI_SOCKET_DIR): string {
  if (!/^[A-Za-z0-9_.=+-]{1,15}$/.test(ifname)) throw new WireGuardError(`bad ifname ${ifname}`)
  return `${dir}/${ifname}.sock`
}

/** Text of a `set=1` request for an update (terminated by the empty line). */
export function formatSet(update: DeviceUpdate): string {
  const lines = ['set=1']
  if (update.privateKey !== undefined) lines.push(`private_key=${base64ToHex(update.privateKey)}`)
  if (update.listenPort !== undefined) lines.push(`listen_port=${update.listenPort}`)
  if (update.fwmark !== undefined) lines.push(`fwmark=${update.fwmark}`)
  for (const peer of update.peers) {
    lines.push(`public_key=${base64ToHex(peer.publicKey)}`)
    if (peer.remove) {
      lines.push('remove=true')
      continue
    }
    if (peer.endpoint !== undefined) lines.push(`endpoint=${peer.endpoint}`)
    if (peer.persistentKeepalive !== undefined) {
      lines.push(`persistent_keepalive_interval=${peer.persistentKeepalive}`)
    }
    if (peer.allowedIps !== undefined) {
      lines.push('replace_allowed_ips=true')
      for (const cidr of peer.allowedIps) lines.push(`allowed_ip=${cidr}`)
    }
  }
  return `${lines.join('\n')}\n\n`
}

/** Returns the errno of a reply; throws on a reply without one. */
export function parseErrno(reply: string): number {
  const match = /(?:^|\n)errno=(-?\d+)\n/.exec(reply)
  if (!match?.[1]) throw new WireGuardError(`UAPI reply without errno: ${JSON.stringify(reply)}`)
  return Number(match[1])
}

/** Parses a `get=1` reply. */
export function parseGet(reply: string): WireGuardDeviceState {
  const errno = parseErrno(reply)
  if (errno !== 0) throw new WireGuardError(`UAPI get: errno=${errno}`)
  const state: WireGuardDeviceState = { listenPort: 0, fwmark: 0, peers: [] }
  let peer: WireGuardPeerState | undefined
  let handshakeSec = 0
  let handshakeNsec = 0
  const finishPeer = () => {
    if (peer) peer.lastHandshakeMs = handshakeSec * 1000 + Math.floor(handshakeNsec / 1e6)
    handshakeSec = 0
    handshakeNsec = 0
  }
  for (const line of reply.split('\n')) {
    const eq = line.indexOf('=')
    if (eq < 0) continue
    const key = line.slice(0, eq)
    const value = line.slice(eq + 1)
    if (key === 'public_key') {
      finishPeer()
      peer = {
        publicKey: hexToBase64(value),
        allowedIps: [],
        persistentKeepalive: 0,
        lastHandshakeMs: 0,
        rxBytes: 0n,
        txBytes: 0n,
      }
      state.peers.push(peer)
      continue
    }
    if (!peer) {
      if (key === 'private_key') {
        const b64 = hexToBase64(value)
        if (!isZeroKey(b64)) state.privateKey = b64
      } else if (key === 'listen_port') state.listenPort = Number(value)
      else if (key === 'fwmark') state.fwmark = Number(value)
      continue
    }
    switch (key) {
      case 'endpoint':
        peer.endpoint = value
        break
      case 'allowed_ip':
        peer.allowedIps.push(value)
        break
      case 'persistent_keepalive_interval':
        peer.persistentKeepalive = Number(value)
        break
      case 'last_handshake_time_sec':
        handshakeSec = Number(value)
        break
      case 'last_handshake_time_nsec':
        handshakeNsec = Number(value)
        break
      case 'rx_bytes':
        peer.rxBytes = BigInt(value)
        break
      case 'tx_bytes':
        peer.txBytes = BigInt(value)
        break
    }
  }
  finishPeer()
  return state
}

/** One request/reply exchange on a UAPI socket, bounded by timeoutMs. */
export function uapiExchange(path: string, request: string, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path)
    let reply = ''
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new WireGuardError(`UAPI ${path}: no reply within ${timeoutMs} ms`))
    }, timeoutMs)
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      reply += chunk
      // A reply always ends with errno=N and an empty line.
      if (/(?:^|\n)errno=-?\d+\n\n$/.test(reply)) {
        clearTimeout(timer)
        socket.end()
        resolve(reply)
      }
    })
    socket.on('error', (err) => {
      clearTimeout(timer)
      reject(new WireGuardError(`UAPI ${path}: ${err.message}`, { cause: err }))
    })
    socket.on('close', () => {
      clearTimeout(timer)
      if (!/errno=/.test(reply)) reject(new WireGuardError(`UAPI ${path}: closed without reply`))
    })
    socket.write(request)
  })
}
