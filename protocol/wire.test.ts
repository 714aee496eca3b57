/**
 * Wire discipline: the JSON Schema of every agent message is committed per protocol
 * version (protocol/wire-schemas.v<N>.json). A schema that changes while PROTOCOL_VERSION
 * stays the same fails here; regenerate with `npm run protocol:snapshot`
 * (UPDATE_WIRE_SCHEMAS=1) only for a change within a version not yet released.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { WIRE_V1 } from './testing/wire-v1'
import { PROTOCOL_VERSION } from './version'
import { CURRENT_WIRE, wireSnapshot } from './wire'

const snapshotPath = (version: number) =>
  fileURLToPath(new URL(`./wire-schemas.v${version}.json`, import.meta.url))
const docsPath = fileURLToPath(new URL('../docs/protocol.md', import.meta.url))
const UPDATE = process.env['UPDATE_WIRE_SCHEMAS'] === '1'

/** JSON paths where two documents differ (first 20), for a message that says what moved. */
function differences(a: unknown, b: unknown, at = '$', out: string[] = []): string[] {
  if (out.length >= 20) return out
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)])
    for (const key of keys) {
      differences(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        `${at}.${key}`,
        out,
      )
    }
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    out.push(`${at}: ${JSON.stringify(a) ?? 'absent'} -> ${JSON.stringify(b) ?? 'absent'}`)
  }
  return out
}

function committed(version: number): unknown {
  return JSON.parse(readFileSync(snapshotPath(version), 'utf8'))
}

describe('wire schemas', () => {
  it(`match the committed snapshot of protocol v${PROTOCOL_VERSION}`, () => {
    const live = wireSnapshot(CURRENT_WIRE)
    const path = snapshotPath(PROTOCOL_VERSION)
    if (UPDATE) {
      writeFileSync(path, `${JSON.stringify(live, null, 2)}\n`)
      return
    }
    if (!existsSync(path)) {
      expect.fail(
        `PROTOCOL_VERSION is ${PROTOCOL_VERSION} but protocol/wire-schemas.v${PROTOCOL_VERSION}.json does not exist: ` +
          'record the new wire with `npm run protocol:snapshot` and add its changelog entry to docs/protocol.md',
      )
    }
    const changed = differences(committed(PROTOCOL_VERSION), live)
    if (changed.length > 0) {
      expect.fail(
        `the wire changed but PROTOCOL_VERSION is still ${PROTOCOL_VERSION}: bump PROTOCOL_VERSION ` +
          '(protocol/version.ts) and add a changelog entry to docs/protocol.md, or, if the change ' +
          'is within a version not yet released, regenerate the snapshot with ' +
          '`npm run protocol:snapshot`.\nChanged (snapshot -> now):\n  ' +
          changed.join('\n  '),
      )
    }
  })

  it('every schema converts to JSON Schema (nothing unrepresentable)', () => {
    // wireSnapshot asks zod to throw on what JSON Schema cannot say, rather than to drop it.
    expect(() => wireSnapshot(CURRENT_WIRE)).not.toThrow()
    expect(Object.keys(CURRENT_WIRE.messages).sort()).toEqual([
      'desiredState',
      'enrollRequest',
      'enrollResponse',
      'eventBatch',
      'heartbeat',
      'modelDocument',
      'telemetryBatch',
    ])
  })

  it('keeps the snapshot of the version before, the one still served', () => {
    // The frozen v1 schemas (what v1 agents run) are what protocol/wire-schemas.v1.json says.
    expect(differences(committed(1), wireSnapshot(WIRE_V1))).toEqual([])
    expect(existsSync(snapshotPath(PROTOCOL_VERSION - 1))).toBe(true)
  })

  it('has a changelog entry for the current version', () => {
    expect(readFileSync(docsPath, 'utf8')).toMatch(
      new RegExp(`^### Version ${PROTOCOL_VERSION}\\b`, 'm'),
    )
  })
})
