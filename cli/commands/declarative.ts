/**
 * `patronus apply -f FILE [--dry-run] [--prune]` and `patronus export [-o FILE]`, plus the
 * shared plan-print-apply step that `policies apply|diff` use on a policies-only file.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { stringify as toYaml } from 'yaml'
import { parse } from '../args'
import type { Command, CommandContext } from '../context'
import { executePlan, formatPlan, summarise } from '../declarative/apply'
import { computePlan } from '../declarative/plan'
import { type NetworkSpec, parseNetworkSpec } from '../declarative/spec'
import { readState, type Section, toSpec } from '../declarative/state'
import { EXIT, UsageError } from '../io'

export function readSpecFile(file: string | undefined, parseText: typeof parseNetworkSpec) {
  if (!file) throw new UsageError('-f FILE is required (YAML or JSON; - for standard input)')
  const text = readFileSync(file === '-' ? 0 : file, 'utf8')
  return parseText(text, file)
}

export interface PlanOptions {
  dryRun: boolean
  prune: boolean
}

/** Plans `spec` against the server, prints the plan, and applies it unless a dry run. */
export async function planAndApply(ctx: CommandContext, spec: NetworkSpec, options: PlanOptions) {
  const client = ctx.client()
  const sections = (Object.keys(spec) as Section[]).filter((key) => spec[key] !== undefined)
  const state = await readState(client, sections)
  const plan = computePlan(spec, state, options.prune)
  const apply = !options.dryRun && plan.changes.length > 0
  if (!ctx.out.json) ctx.io.stdout(formatPlan(plan, options.prune))
  const secrets = apply
    ? await executePlan(client, plan, state, (line) => {
        if (!ctx.out.json) ctx.io.stdout(`done: ${line}\n`)
      })
    : []
  if (ctx.out.json) {
    const changes = plan.changes.map((change) => ({
      action: change.action,
      kind: change.kind,
      key: change.key,
      ...(change.action === 'update' ? { fields: Object.keys(change.patch) } : {}),
    }))
    const report = { summary: summarise(plan), changes, kept: plan.kept, applied: apply, secrets }
    ctx.io.stdout(`${JSON.stringify(report, null, 2)}\n`)
  } else if (options.dryRun && plan.changes.length > 0) {
    ctx.io.stdout('Dry run: nothing was changed.\n')
  } else if (apply) {
    ctx.io.stdout(`Applied ${plan.changes.length} change(s).\n`)
    // A created webhook's signing secret exists only in this answer: say it once.
    for (const { webhook, secret } of secrets) {
      ctx.io.stdout(`Signing secret of ${webhook} (shown once): ${secret}\n`)
    }
  }
  return EXIT.ok
}

export const applyCommand: Command = async (ctx, argv) => {
  const { values } = parse(argv, {
    file: { type: 'string', short: 'f' },
    'dry-run': { type: 'boolean' },
    prune: { type: 'boolean' },
  })
  const spec = readSpecFile(values.file, parseNetworkSpec)
  return planAndApply(ctx, spec, { dryRun: !!values['dry-run'], prune: !!values.prune })
}

export const exportCommand: Command = async (ctx, argv) => {
  const { values } = parse(argv, { output: { type: 'string', short: 'o' } })
  const state = await readState(ctx.client(), ['sites', 'policies', 'alertRules', 'webhooks'])
  const spec = toSpec(state)
  const text = ctx.out.json
    ? `${JSON.stringify(spec, null, 2)}\n`
    : `# patronus export: apply with \`patronus apply -f FILE\` (webhook secrets are not exported)\n${toYaml(spec)}`
  if (values.output) {
    writeFileSync(values.output, text)
    ctx.io.stderr(`wrote ${values.output}\n`)
  } else {
    ctx.io.stdout(text)
  }
  return EXIT.ok
}
