/**
 * `patronus policies list|get|apply|check|diff`. A policies file is a YAML/JSON list of
 * policies (or a network file's `policies:` section); `check` validates it with the API's
 * own schema without a server, `diff` prints the plan, `apply` carries it out.
 */
import { parse, positional } from '../args'
import type { CommandGroup } from '../context'
import { parsePoliciesFile } from '../declarative/spec'
import { EXIT } from '../io'
import { policyPageSchema, resolvePolicy } from '../lookup'
import { type Column, printList, printObject } from '../output'
import { planAndApply, readSpecFile } from './declarative'

type Policy = import('../../worker/api/policies').Policy

const policyColumns: Column<Policy>[] = [
  { header: 'id', value: (p) => p.id },
  { header: 'name', value: (p) => p.name },
  { header: 'priority', value: (p) => p.priority },
  { header: 'preference', value: (p) => p.action['preference'] },
  { header: 'match', value: (p) => JSON.stringify(p.match) },
]

const fileOptions = { file: { type: 'string', short: 'f' } } as const

export const policiesCommands: CommandGroup = {
  async list(ctx, argv) {
    parse(argv, {})
    const policies = await ctx.client().listAll('/v1/policies', policyPageSchema)
    printList(ctx.io, ctx.out, policies, policyColumns)
    return EXIT.ok
  },
  async get(ctx, argv) {
    const { positionals } = parse(argv, {})
    const policy = await resolvePolicy(ctx.client(), positional(positionals, 0, 'POLICY'))
    printObject(ctx.io, ctx.out, policy)
    return EXIT.ok
  },
  async check(ctx, argv) {
    const { values } = parse(argv, fileOptions)
    const spec = readSpecFile(values.file, parsePoliciesFile)
    const count = spec.policies?.length ?? 0
    if (ctx.out.json) ctx.io.stdout(`${JSON.stringify({ valid: true, policies: count })}\n`)
    else ctx.io.stdout(`${values.file}: ${count} valid polic${count === 1 ? 'y' : 'ies'}\n`)
    return EXIT.ok
  },
  async diff(ctx, argv) {
    const { values } = parse(argv, { ...fileOptions, prune: { type: 'boolean' } })
    const spec = readSpecFile(values.file, parsePoliciesFile)
    return planAndApply(ctx, spec, { dryRun: true, prune: !!values.prune })
  },
  async apply(ctx, argv) {
    const { values } = parse(argv, {
      ...fileOptions,
      prune: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
    })
    const spec = readSpecFile(values.file, parsePoliciesFile)
    return planAndApply(ctx, spec, { dryRun: !!values['dry-run'], prune: !!values.prune })
  },
}
