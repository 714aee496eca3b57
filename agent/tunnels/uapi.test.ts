import { describe, expect, test } from 'vitest'
import { planDeviceUpdate } from './diff'
import { decodeSockaddr, encodeSockaddr, toNetlinkDevice } from './kernel'
import { base64ToHex, generateKeyPair, hexToBase64, publicKeyOf } from './keys'
import type { WireGuardDeviceConfig, WireGuardDeviceState } from './types'
import { formatSet, parseErrno, parseGet } from './uapi'

const me = generateKeyPair()
const peerA = generateKeyPair()
const peerB = generateKeyPair()

const desired: WireGuardDeviceConfig = {
  privateKey: me.privateKey,
  listenPort: 51820,
  fwmark: 0x7100,
  peers: [
    {
      publicKey: peerA.publicKey,
      endpoint: '198.18.1.2:51820',
      allowedIps: ['10.10.1.9/24', '10.255.0.2/32'],
      persistentKeepalive: 1,
    },
  ],
}

const matching: WireGuardDeviceState = {
  privateKey: me.privateKey,
  listenPort: 51820,
  fwmark: 0x7100,
  peers: [
    {
      publicKey: peerA.publicKey,
      endpoint: '198.18.1.2:51820',
      allowedIps: ['10.255.0.2/32', '10.10.1.0/24'],
      persistentKeepalive: 1,
      lastHandshakeMs: 0,
      rxBytes: 0n,
      txBytes: 0n,
    },
  ],
}

describe('keys', () => {
  test('hex and base64 round-trip; public key derivation matches generation', () => {
    expect(hexToBase64(base64ToHex(me.privateKey))).toBe(me.privateKey)
    expect(base64ToHex(me.publicKey)).toMatch(/^[0-9a-f]{64}$/)
    expect(publicKeyOf(me.privateKey)).toBe(me.publicKey)
    expect(() => base64ToHex('short')).toThrow()
  })
})

describe('planDeviceUpdate', () => {
  test('an empty device gets everything', () => {
    const update = planDeviceUpdate({ listenPort: 0, fwmark: 0, peers: [] }, desired)
    expect(update).toEqual({
      privateKey: me.privateKey,
      listenPort: 51820,
      fwmark: 0x7100,
      peers: [
        {
          publicKey: peerA.publicKey,
          endpoint: '198.18.1.2:51820',
          persistentKeepalive: 1,
          allowedIps: ['10.10.1.0/24', '10.255.0.2/32'],
        },
      ],
    })
  })

  test('a matching device needs nothing (idempotent)', () => {
    expect(planDeviceUpdate(matching, desired, desired)).toBeUndefined()
  })

  test('a roamed endpoint is left alone; a changed desired endpoint is written', () => {
    const roamed = structuredClone(matching)
    const peer = roamed.peers[0]
    if (peer) peer.endpoint = '198.19.3.1:40000'
    expect(planDeviceUpdate(roamed, desired, desired)).toBeUndefined()
    const moved = structuredClone(desired)
    const p = moved.peers[0]
    if (p) p.endpoint = '198.18.1.6:51821'
    expect(planDeviceUpdate(roamed, moved, desired)?.peers).toEqual([
      { publicKey: peerA.publicKey, endpoint: '198.18.1.6:51821' },
    ])
  })

  test('only the difference: removed peers, replaced allowed IPs, keepalive, fwmark', () => {
    const next: WireGuardDeviceConfig = {
      ...desired,
      fwmark: 0x7101,
      peers: [
        {
          ...(desired.peers[0] as WireGuardDeviceConfig['peers'][0]),
          allowedIps: ['10.255.0.2/32'],
        },
      ],
    }
    const current = structuredClone(matching)
    current.peers.push({
      ...(matching.peers[0] as WireGuardDeviceState['peers'][0]),
      publicKey: peerB.publicKey,
    })
    expect(planDeviceUpdate(current, next, desired)).toEqual({
      fwmark: 0x7101,
      peers: [
        { publicKey: peerB.publicKey, remove: true },
        { publicKey: peerA.publicKey, allowedIps: ['10.255.0.2/32'] },
      ],
    })
  })
})

describe('UAPI text', () => {
  test('set uses hex keys and replace_allowed_ips, ends with an empty line', () => {
    const text = formatSet({
      listenPort: 51821,
      peers: [
        { publicKey: peerA.publicKey, allowedIps: ['10.0.0.0/8'], endpoint: '[2001:db8::1]:5' },
        { publicKey: peerB.publicKey, remove: true },
      ],
    })
    expect(text).toBe(
      [
        'set=1',
        'listen_port=51821',
        `public_key=${base64ToHex(peerA.publicKey)}`,
        'endpoint=[2001:db8::1]:5',
        'replace_allowed_ips=true',
        'allowed_ip=10.0.0.0/8',
        `public_key=${base64ToHex(peerB.publicKey)}`,
        'remove=true',
        '',
        '',
      ].join('\n'),
    )
  })

  test('get reply parses into device and peers; errno is required', () => {
    const reply = [
      `private_key=${base64ToHex(me.privateKey)}`,
      'listen_port=51820',
      'fwmark=28928',
      `public_key=${base64ToHex(peerA.publicKey)}`,
      'endpoint=198.18.1.2:51820',
      'last_handshake_time_sec=1700000000',
      'last_handshake_time_nsec=500000000',
      'tx_bytes=1184',
      'rx_bytes=920',
      'persistent_keepalive_interval=1',
      'allowed_ip=10.10.1.0/24',
      'errno=0',
      '',
      '',
    ].join('\n')
    const state = parseGet(reply)
    expect(state).toEqual({
      privateKey: me.privateKey,
      listenPort: 51820,
      fwmark: 28928,
      peers: [
        {
          publicKey: peerA.publicKey,
          endpoint: '198.18.1.2:51820',
          allowedIps: ['10.10.1.0/24'],
          persistentKeepalive: 1,
          lastHandshakeMs: 1_700_000_000_500,
          rxBytes: 920n,
          txBytes: 1184n,
        },
      ],
    })
    expect(parseErrno('errno=-22\n\n')).toBe(-22)
    expect(() => parseGet('listen_port=1\n\n')).toThrow(/errno/)
  })
})

describe('kernel netlink encoding', () => {
  test('sockaddr round-trips for IPv4 and IPv6', () => {
    expect(decodeSockaddr(encodeSockaddr('198.18.0.2:51820'))).toBe('198.18.0.2:51820')
    expect(decodeSockaddr(encodeSockaddr('[2001:db8::7]:443'))).toBe('[2001:db8::7]:443')
    expect(() => encodeSockaddr('nohost:1')).toThrow()
  })

  test('a peer update becomes flags, keys and allowed IPs', () => {
    const device = toNetlinkDevice({
      peers: [
        { publicKey: peerA.publicKey, allowedIps: ['10.10.0.0/24'] },
        { publicKey: peerB.publicKey, remove: true },
      ],
    })
    expect(device.peers?.[0]?.flags).toEqual({ replaceAllowedIps: true })
    expect(device.peers?.[0]?.allowedIps?.[0]).toMatchObject({ family: 2, cidrMask: 24 })
    expect(device.peers?.[1]?.flags).toEqual({ removeMe: true })
  })
})
