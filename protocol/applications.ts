/**
 * Applications a policy matches by name (`match.applications`). Three kinds share one
 * namespace: the classifier's builtin payload detectors, the default catalogue every agent
 * ships (name suffixes and aliases, agent/bpf/apps.ts), and an org's own applications
 * (`/v1/applications`: TLS SNI / HTTP Host name suffixes and ports). This file owns the
 * names of the first two, so that the control plane can refuse a policy naming an
 * application nobody defined, and the grammar and limits of the third.
 */
import { z } from 'zod'

/** Payload detectors of the classifier (bpf/classifier.c); the agent maps them to ids. */
export const BUILTIN_APPLICATIONS = ['tls', 'http', 'ssh', 'dns', 'sip', 'rtp'] as const
export type BuiltinApplication = (typeof BUILTIN_APPLICATIONS)[number]

/** The default catalogue; the agent holds each one's signature (agent/bpf/apps.ts). */
export const DEFAULT_APPLICATIONS = [
  'https',
  'web',
  'voip',
  'office365',
  'teams',
  'zoom',
  'webex',
  'salesforce',
  'google-workspace',
  'github',
] as const
export type DefaultApplication = (typeof DEFAULT_APPLICATIONS)[number]

const CATALOGUE: ReadonlySet<string> = new Set([...BUILTIN_APPLICATIONS, ...DEFAULT_APPLICATIONS])

/** Whether every agent knows `name` without the org defining it. */
export const isCatalogueApplication = (name: string): boolean => CATALOGUE.has(name)

export const applicationNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'application names are lowercase')

/**
 * Bounds that keep every org's applications within one classifier's tables: named
 * applications get ids 16-255 (the default catalogue holds 7 of them) and the name table
 * holds 4,096 suffixes, so 100 applications of at most 32 names always fit.
 */
export const MAX_ORG_APPLICATIONS = 100
export const MAX_APPLICATION_NAMES = 32
export const MAX_APPLICATION_PORTS = 16
/** The classifier's name key is 64 bytes: a leading dot, the suffix, room to spare. */
export const MAX_HOST_SUFFIX_LENGTH = 62

const LABEL = '[a-z0-9]([a-z0-9-]*[a-z0-9])?'
const HOST_SUFFIX = new RegExp(`^${LABEL}(\\.${LABEL})*$`)

/** A DNS name (lowercase, no trailing dot) the classifier can hold as a suffix. */
export const isHostSuffix = (name: string): boolean =>
  name.length <= MAX_HOST_SUFFIX_LENGTH && HOST_SUFFIX.test(name)

/**
 * An SNI / Host name suffix, label-aligned: `example.com` matches `example.com` and
 * `a.example.com`, never `badexample.com`. Case and one trailing dot are normalised away.
 */
export const hostSuffixSchema = z
  .string()
  .trim()
  .toLowerCase()
  .overwrite((name) => name.replace(/\.$/, ''))
  .refine(
    isHostSuffix,
    `a DNS name (letters, digits and "-" in dot-separated labels), at most ${MAX_HOST_SUFFIX_LENGTH} characters`,
  )

/** A port or an inclusive range as text, e.g. "443" or "8000-8100" (a number is accepted). */
export const applicationPortRangeSchema = z
  .union([z.number().int(), z.string().regex(/^\d{1,5}(-\d{1,5})?$/, 'a port or "from-to"')])
  .transform((value, ctx) => {
    const [from, to = from] = String(value).split('-').map(Number) as [number, number?]
    if (!(from >= 1 && to <= 65535 && from <= to)) {
      ctx.addIssue({ code: 'custom', message: 'ports need 1 <= from <= to <= 65535' })
      return z.NEVER
    }
    return from === to ? String(from) : `${from}-${to}`
  })

export const applicationPortSchema = z.strictObject({
  protocol: z.enum(['tcp', 'udp']),
  ports: applicationPortRangeSchema,
})

/** What an agent needs of an org's application (the desired state's `applications`). */
export const desiredApplicationSchema = z.object({
  name: applicationNameSchema,
  ports: z.array(applicationPortSchema).max(MAX_APPLICATION_PORTS).default([]),
  names: z.array(hostSuffixSchema).max(MAX_APPLICATION_NAMES).default([]),
})

/** The first and last port of a range as applicationPortRangeSchema writes it. */
export function portBounds(range: string | number): [number, number] {
  const [from, to = from] = String(range).split('-').map(Number) as [number, number?]
  return [from, to]
}

export type ApplicationPort = z.infer<typeof applicationPortSchema>
export type DesiredApplication = z.infer<typeof desiredApplicationSchema>
