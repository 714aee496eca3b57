import { describe, expect, it } from 'vitest'
import { policyRules } from '../pathmon/class-rules'
import { expandApplications } from './app-match'
import { type AppSignature, BUILTIN_APPS } from './apps'
import { type ClassifierPolicy, type ClassifierTables, compilePolicies } from './compile'

const act = { preference: 'lowest-latency' as const }

/** backup: by SNI/Host name or by its ports; vault: by its port only. */
const apps: Record<string, AppSignature> = {
  backup: {
    names: ['backup.example'],
    ports: [
      { protocol: 'tcp', ports: '9102' },
      { protocol: 'udp', ports: '9000-9010' },
    ],
  },
  vault: { ports: [{ protocol: 'tcp', ports: '8200' }] },
}

/**
 * What the classifier decides for a flow (bpf/classifier.c match_policies, without DSCP and
 * prefixes): the class of the lowest policy bit every dimension admits.
 */
function classify(
  t: ClassifierTables,
  flow: { proto: 'tcp' | 'udp'; dport: number; app?: number },
): number | undefined {
  let m = t.protoMask[flow.proto === 'tcp' ? 0 : 1]
  m &= t.apps[flow.app ?? 0] ?? t.appWild
  let ports = t.portWild
  for (const r of t.ports) if (flow.dport >= r.lo && flow.dport <= r.hi) ports |= r.mask
  m &= ports
  if (!m) return undefined
  let bit = 0
  while (!((m >> BigInt(bit)) & 1n)) bit++
  return t.policyClass[bit]
}

const appId = (t: ClassifierTables, name: string) =>
  [...t.appNames].find(([, n]) => n === name)?.[0]

describe('expandApplications', () => {
  it('keeps a match without operator port applications as it is', () => {
    const m = { applications: ['voip', 'zoom'], dscp: [46] }
    expect(expandApplications(m, apps)).toEqual([m])
    expect(expandApplications({ ports: [443] }, apps)).toEqual([{ ports: [443] }])
  })

  it('splits names and ports into alternatives, per transport, keeping the other dimensions', () => {
    expect(
      expandApplications(
        { applications: ['backup', 'vault', 'ssh'], destinationPrefixes: ['10.9.0.0/16'] },
        apps,
      ),
    ).toEqual([
      { applications: ['backup', 'ssh'], destinationPrefixes: ['10.9.0.0/16'] },
      { destinationPrefixes: ['10.9.0.0/16'], protocols: ['tcp'], ports: [8200, 9102] },
      { destinationPrefixes: ['10.9.0.0/16'], protocols: ['udp'], ports: ['9000-9010'] },
    ])
  })

  it("intersects the applications' ports with the policy's own ports and protocols", () => {
    expect(
      expandApplications({ applications: ['backup'], ports: ['9005-9200'] }, apps).slice(1),
    ).toEqual([
      { protocols: ['tcp'], ports: [9102] },
      { protocols: ['udp'], ports: ['9005-9010'] },
    ])
    expect(expandApplications({ applications: ['backup'], protocols: ['tcp'] }, apps)).toEqual([
      { applications: ['backup'], protocols: ['tcp'] },
      { protocols: ['tcp'], ports: [9102] },
    ])
    // Ports that never meet: vault is TCP 8200 only.
    expect(expandApplications({ applications: ['vault'], protocols: ['udp'] }, apps)).toEqual([])
    expect(expandApplications({ applications: ['vault'], ports: [443] }, apps)).toEqual([])
  })

  it('joins overlapping and adjacent ranges', () => {
    const many: Record<string, AppSignature> = {
      a: {
        ports: [
          { protocol: 'tcp', ports: '100-200' },
          { protocol: 'tcp', ports: '150-300' },
          { protocol: 'tcp', ports: '301' },
          { protocol: 'tcp', ports: '400' },
        ],
      },
    }
    expect(expandApplications({ applications: ['a'] }, many)).toEqual([
      { protocols: ['tcp'], ports: ['100-301', 400] },
    ])
  })
})

describe('compilePolicies with operator applications', () => {
  const policies: ClassifierPolicy[] = [
    { id: 'bk', priority: 10, match: { applications: ['backup'] }, action: act },
    { id: 'vt', priority: 20, match: { applications: ['vault'] }, action: act },
    { id: 'web', priority: 30, match: { applications: ['tls'] }, action: act },
  ]

  it("matches an application by its names or its ports, each alternative in the policy's class", () => {
    const t = compilePolicies({ policies, applications: apps })
    expect(t.warnings).toEqual([])
    // bk: names (bit 0), tcp ports (bit 1), udp ports (bit 2); vt: tcp 8200 (bit 3); web (bit 4).
    expect(t.policyClass.slice(0, 5)).toEqual([0, 0, 0, 1, 2])
    expect(t.classPolicy.get(0)).toBe('bk')
    const backup = appId(t, 'backup')
    expect(backup).toBeDefined()
    expect(t.names).toContainEqual({ suffix: 'backup.example', app: backup })
    // vault has no names: no application id, no name entry.
    expect(appId(t, 'vault')).toBeUndefined()
    expect(t.ports).toEqual([
      { lo: 8200, hi: 8200, mask: 0b1000n },
      { lo: 9000, hi: 9010, mask: 0b100n },
      { lo: 9102, hi: 9102, mask: 0b10n },
    ])

    const tls = BUILTIN_APPS.tls
    expect(classify(t, { proto: 'tcp', dport: 443, app: backup })).toBe(0) // SNI backup.example
    expect(classify(t, { proto: 'tcp', dport: 9102 })).toBe(0) // before any payload
    expect(classify(t, { proto: 'tcp', dport: 9102, app: tls })).toBe(0) // other SNI, its port
    expect(classify(t, { proto: 'udp', dport: 9005 })).toBe(0)
    expect(classify(t, { proto: 'udp', dport: 9102 })).toBeUndefined() // tcp only
    expect(classify(t, { proto: 'tcp', dport: 8200 })).toBe(1)
    expect(classify(t, { proto: 'tcp', dport: 443, app: tls })).toBe(2)
    expect(classify(t, { proto: 'tcp', dport: 80 })).toBeUndefined()
  })

  it('does not let an operator application redefine a builtin or default one', () => {
    const t = compilePolicies({
      policies: [{ id: 'h', priority: 1, match: { applications: ['https'] }, action: act }],
      applications: { https: { ports: [{ protocol: 'tcp', ports: '8443' }] } },
    })
    expect(t.warnings).toEqual([
      'application https: a builtin or default application, not redefined',
    ])
    expect(t.ports).toEqual([])
    expect(t.apps[BUILTIN_APPS.tls]).toBe(1n)
  })

  it('says when a policy can never match', () => {
    const t = compilePolicies({
      policies: [
        { id: 'x', priority: 1, match: { applications: ['vault'], ports: [22] }, action: act },
      ],
      applications: apps,
    })
    expect(t.warnings).toEqual([
      "policy x: its applications' ports never meet its own protocols or ports; it matches nothing",
    ])
    expect(t.policyClass).toEqual([])
  })
})

describe('policyRules: operator applications by rule (no classifier)', () => {
  const policy = (id: string, applications: string[]) =>
    ({ id, name: id, priority: 10, match: { applications }, action: act }) as never
  it("steers an application's ports by rule; names alone still need the classifier", () => {
    const backup = policyRules(policy('bk', ['backup']), 0, 7300, 1040, apps)
    expect(backup.skipped).toBeUndefined()
    expect(backup.rules).toEqual([
      { priority: 1040, table: 7300, family: 4, ipproto: 6, dport: { start: 9102, end: 9102 } },
      { priority: 1040, table: 7300, family: 4, ipproto: 17, dport: { start: 9000, end: 9010 } },
    ])
    const vault = policyRules(policy('vt', ['vault']), 1, 7300, 1041, apps)
    expect(vault.rules).toEqual([
      { priority: 1041, table: 7301, family: 4, ipproto: 6, dport: { start: 8200, end: 8200 } },
    ])
    const zoom = policyRules(policy('zm', ['zoom']), 2, 7300, 1042, apps)
    expect(zoom.rules).toEqual([])
    expect(zoom.skipped).toMatch(/needs the eBPF classifier/)
  })

  it('a policy whose own protocols exclude every application port matches nothing, and says so', () => {
    const p = {
      id: 'x',
      name: 'x',
      priority: 1,
      match: { applications: ['vault'], protocols: ['udp'] },
      action: act,
    } as never
    const r = policyRules(p, 0, 7300, 1040, apps)
    expect(r.rules).toEqual([])
    expect(r.skipped).toMatch(/never meet/)
  })
})
