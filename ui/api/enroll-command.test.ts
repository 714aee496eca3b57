/**
 * The enroll command is pasted into a root shell (docs/security.md, finding 2): whatever the
 * server, token and uplinks hold, each value must reach the agent as exactly one argument
 * and nothing in it may run. Checked two ways: shell-quote's own parser, and a real
 * /bin/sh that would create a marker file if any `$()`, backtick or `;` escaped its quotes.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'shell-quote'
import { afterEach, describe, expect, it } from 'vitest'
import { enrollCommand } from './enroll-command'
import { shellWord } from './shell'
import type { Uplink } from './types'

const uplink = (slot: number, name: string, iface: string, endpoint: string | null): Uplink => ({
  id: `u${slot}`,
  siteId: 's1',
  name,
  slot,
  interface: iface,
  endpoint,
  bandwidthMbps: null,
  costPerGb: null,
  priority: 0,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 1,
})

const HOSTILE = [
  '$(touch pwned-dollar)',
  '`touch pwned-backtick`',
  "it's; touch pwned-semicolon",
  '"; touch pwned-dquote; "',
  'a\nb\ntouch pwned-newline',
  'spaces  and\ttabs',
  "both ' and ! !! here",
  'back\\slash $HOME * ? [a] {x,y} ~ # & | < >',
  '',
]

/** The words /bin/sh sees in `command`, run in `dir` (NUL-separated, so newlines survive). */
function shWords(command: string, dir: string): string[] {
  const out = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${command}`], {
    cwd: dir,
    encoding: 'utf8',
  })
  return out.split('\0').slice(0, -1)
}

let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

describe('enrollCommand', () => {
  it('reads as before for ordinary values', () => {
    expect(
      enrollCommand('https://cp.example:8443', 'pet_abc-_123', [
        uplink(1, 'lte', 'wwan0', null),
        uplink(0, 'fiber', 'eth0', '203.0.113.10:51820'),
      ]),
    ).toBe(
      'patronus-agent enroll --server https://cp.example:8443 --token pet_abc-_123' +
        ' --uplink fiber=eth0,endpoint=203.0.113.10:51820 --uplink lte=wwan0',
    )
    expect(enrollCommand('http://cp.example', 'pet_x', [])).toBe(
      'patronus-agent enroll --server http://cp.example --insecure-http --token pet_x --uplink wan0=eth0',
    )
  })

  it('keeps hostile values as single words that run nothing', () => {
    dir = mkdtempSync(join(tmpdir(), 'enroll-command-'))
    for (const value of HOSTILE) {
      const server = `https://cp.example/${value}`
      const token = `pet_${value}`
      const uplinks = [
        uplink(0, value, `if${value}`, `${value}:51820`),
        uplink(1, 'lte', value, null),
      ]
      const command = enrollCommand(server, token, uplinks)
      const expected = [
        'patronus-agent',
        'enroll',
        '--server',
        server,
        '--token',
        token,
        '--uplink',
        `${value}=if${value},endpoint=${value}:51820`,
        '--uplink',
        `lte=${value}`,
      ]
      expect(parse(command), command).toEqual(expected)
      expect(shWords(command, dir), command).toEqual(expected)
      expect(shWords(shellWord(value), dir)).toEqual([value])
    }
    // Nothing ran: no marker file from any $(), backtick, ; or newline.
    expect(readdirSync(dir)).toEqual([])
    expect(existsSync(join(dir, 'pwned-dollar'))).toBe(false)
  })

  it('quotes the endpoint from the security review (finding 2)', () => {
    const endpoint = '$(id>/tmp/pwn);touch /tmp/x`id`:51820'
    const command = enrollCommand('https://cp.example', 'pet_t', [
      uplink(0, 'wan0', 'eth0', endpoint),
    ])
    expect(parse(command).at(-1)).toBe(`wan0=eth0,endpoint=${endpoint}`)
  })

  it('adds --insecure-http only for a plain-HTTP control plane', () => {
    expect(enrollCommand('https://cp.example', 'pet_x', [])).toBe(
      'patronus-agent enroll --server https://cp.example --token pet_x --uplink wan0=eth0',
    )
    expect(enrollCommand('http://127.0.0.1:8787', 'pet_x', [])).toBe(
      'patronus-agent enroll --server http://127.0.0.1:8787 --insecure-http --token pet_x --uplink wan0=eth0',
    )
  })
})
