/**
 * The applications the classifier knows. Builtin detectors (tls, http, ssh, dns, sip, rtp)
 * are payload heuristics in bpf/classifier.c; named applications are name suffixes matched
 * against a TLS ClientHello's SNI or an HTTP/1 Host header; aliases group either. Operators
 * add their own applications (`extra`, from the desired state's `applications`), e.g.
 * `backup: { names: ['backup.example'], ports: [{ protocol: 'tcp', ports: '9102' }] }`;
 * their ports are matched by the policy compiler (app-match.ts), not by an app id.
 * The names of the builtin and default applications belong to protocol/applications.ts
 * (the control plane checks policies against them); the records below must cover them.
 */
import {
  type ApplicationPort,
  type BuiltinApplication,
  type DefaultApplication,
  type DesiredApplication,
  isCatalogueApplication,
  isHostSuffix,
} from '../../protocol/applications'

export const BUILTIN_APPS = {
  tls: 1,
  http: 2,
  ssh: 3,
  dns: 4,
  sip: 5,
  rtp: 6,
} as const satisfies Record<BuiltinApplication, number>
export type BuiltinApp = keyof typeof BUILTIN_APPS

/** First id given to a named application. */
export const FIRST_NAMED_APP = 16

export interface AppSignature {
  /** SNI / Host suffixes, label-aligned: `example.com` matches `a.example.com`. */
  names?: string[]
  /** Other applications this one stands for (`voip` = sip + rtp). */
  aliases?: string[]
  /** Ports that also identify an operator's application (policy ports, app-match.ts). */
  ports?: ApplicationPort[]
}

export const DEFAULT_APPS: Record<DefaultApplication, AppSignature> = {
  https: { aliases: ['tls'] },
  web: { aliases: ['tls', 'http'] },
  voip: { aliases: ['sip', 'rtp'] },
  office365: {
    names: ['office.com', 'office365.com', 'outlook.com', 'microsoftonline.com', 'sharepoint.com'],
  },
  teams: { names: ['teams.microsoft.com', 'skype.com'] },
  zoom: { names: ['zoom.us', 'zoom.com'] },
  webex: { names: ['webex.com'] },
  salesforce: { names: ['salesforce.com', 'force.com'] },
  'google-workspace': { names: ['googleapis.com', 'gmail.com', 'docs.google.com'] },
  github: { names: ['github.com', 'githubusercontent.com'] },
}

/** The desired state's applications as signatures by name. */
export function signaturesOf(list: readonly DesiredApplication[]): Record<string, AppSignature> {
  return Object.fromEntries(list.map((a) => [a.name, { names: a.names, ports: a.ports }]))
}

/**
 * The operator's applications without any that would redefine a builtin or default one
 * (the control plane refuses those names; a document that still has one keeps ours).
 */
export function operatorApplications(extra: Record<string, AppSignature>): {
  apps: Record<string, AppSignature>
  warnings: string[]
} {
  const apps: Record<string, AppSignature> = {}
  const warnings: string[] = []
  for (const [name, sig] of Object.entries(extra)) {
    if (isCatalogueApplication(name))
      warnings.push(`application ${name}: a builtin or default application, not redefined`)
    else apps[name] = sig
  }
  return { apps, warnings }
}

export interface AppCatalogue {
  /** Application name -> the base app ids it resolves to. */
  resolve(name: string): number[] | undefined
  /** Named application ids with their suffixes. */
  names: { id: number; name: string; suffixes: string[] }[]
  /** App id -> name, for counters. */
  nameOf: Map<number, string>
  warnings: string[]
}

/** One past the last application id (the classifier's pt_apps has 256 entries). */
const APP_ID_END = 256

/**
 * Ids of the named applications. The classifier keeps a flow's application id across a
 * reconfig and re-decides the flow's class from it, so an application keeps the id it had
 * (`keep`, the previous catalogue's), and a new one takes an id no application held there
 * if there is one: adding or removing an operator's application never turns a running
 * flow of one application into another's.
 */
function allocateIds(
  named: readonly string[],
  keep: ReadonlyMap<string, number>,
  warnings: string[],
): Map<string, number> {
  const ids = new Map<string, number>()
  const taken = new Set<number>()
  for (const name of named) {
    const id = keep.get(name)
    if (id === undefined || id < FIRST_NAMED_APP || id >= APP_ID_END || taken.has(id)) continue
    ids.set(name, id)
    taken.add(id)
  }
  const heldBefore = new Set(keep.values())
  const free = (avoid: ReadonlySet<number>) => {
    for (let id = FIRST_NAMED_APP; id < APP_ID_END; id++)
      if (!taken.has(id) && !avoid.has(id)) return id
    return undefined
  }
  for (const name of named) {
    if (ids.has(name)) continue
    const id = free(heldBefore) ?? free(new Set())
    if (id === undefined) {
      warnings.push(`application ${name}: no application id left (${APP_ID_END} at most)`)
      continue
    }
    ids.set(name, id)
    taken.add(id)
  }
  return ids
}

const byName = ([a]: [string, unknown], [b]: [string, unknown]) => a.localeCompare(b)

/**
 * The catalogue: builtin detectors, the default applications, then the operator's.
 * `keep`: the ids of the previous catalogue (name -> id), kept where the name still is.
 */
export function buildCatalogue(
  extra: Record<string, AppSignature> = {},
  keep: ReadonlyMap<string, number> = new Map(),
): AppCatalogue {
  const operator = operatorApplications(extra)
  const all: Record<string, AppSignature> = { ...DEFAULT_APPS, ...operator.apps }
  const warnings: string[] = [...operator.warnings]
  const nameOf = new Map<number, string>()
  const ids = new Map<string, number>()
  for (const [name, id] of Object.entries(BUILTIN_APPS)) {
    ids.set(name, id)
    nameOf.set(id, name)
  }
  const named = [
    ...Object.entries(DEFAULT_APPS).sort(byName),
    ...Object.entries(operator.apps).sort(byName),
  ].filter(([, sig]) => sig.names?.length)
  const allocated = allocateIds(
    named.map(([name]) => name),
    keep,
    warnings,
  )
  const names: AppCatalogue['names'] = []
  // A suffix names one application: the first to claim it (default ones before the
  // operator's), so that which one a flow is never depends on the order of table writes.
  const claimedBy = new Map<string, string>()
  for (const [name, sig] of named) {
    const id = allocated.get(name)
    if (id === undefined) continue
    const suffixes = (sig.names ?? []).map((n) => n.toLowerCase().replace(/\.$/, ''))
    const bad = suffixes.filter((n) => !isHostSuffix(n))
    if (bad.length) warnings.push(`application ${name}: ignoring invalid names ${bad.join(', ')}`)
    const own: string[] = []
    for (const suffix of suffixes) {
      if (bad.includes(suffix) || own.includes(suffix)) continue
      const owner = claimedBy.get(suffix)
      if (owner === undefined) {
        claimedBy.set(suffix, name)
        own.push(suffix)
      } else warnings.push(`application ${name}: ${suffix} is already ${owner}'s; ignored`)
    }
    ids.set(name, id)
    nameOf.set(id, name)
    names.push({ id, name, suffixes: own })
  }
  const resolve = (name: string, depth = 0): number[] | undefined => {
    const id = ids.get(name)
    const sig = all[name]
    const out = new Set<number>(id !== undefined ? [id] : [])
    if (sig?.aliases && depth < 4) {
      for (const alias of sig.aliases) for (const a of resolve(alias, depth + 1) ?? []) out.add(a)
    }
    return out.size ? [...out] : undefined
  }
  return { resolve: (name) => resolve(name), names, nameOf, warnings }
}
