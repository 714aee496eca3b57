/**
 * A policy action as the form edits it (text fields, tri-state selects) and back. Fields the
 * form has no control for are carried over unchanged, so editing a policy never drops what
 * a newer API or another client stored. Numbers are checked here only for what JSON cannot
 * carry (text that is no number, a QoS without its rate); ranges stay the server's to judge,
 * and its errors come back per field.
 */
import type { PolicyAction } from './types'

/** default = the API decides (predictive: on when the action has an SLA; balance: per-flow). */
export type Predictive = 'default' | 'on' | 'off'
export type Balance = '' | 'per-flow' | 'per-packet'

export interface ActionForm {
  preference: PolicyAction['preference']
  scorer: string
  maxLatencyMs: string
  maxJitterMs: string
  maxLossPct: string
  fec: boolean
  compression: boolean
  predictive: Predictive
  balance: Balance
  rateMbps: string
  ceilMbps: string
  qosPriority: string
  burstBytes: string
}

/** The action keys this form edits; any other key is kept as it was. */
const MANAGED = new Set([
  'preference',
  'scorer',
  'sla',
  'fec',
  'compression',
  'predictive',
  'balance',
  'qos',
])

const text = (n: number | undefined) => n?.toString() ?? ''

export function actionForm(a: Partial<PolicyAction> | undefined): ActionForm {
  return {
    preference: a?.preference ?? 'lowest-latency',
    scorer: a?.scorer ?? '',
    maxLatencyMs: text(a?.sla?.maxLatencyMs),
    maxJitterMs: text(a?.sla?.maxJitterMs),
    maxLossPct: text(a?.sla?.maxLossPct),
    fec: a?.fec ?? false,
    compression: a?.compression ?? false,
    predictive: a?.predictive === undefined ? 'default' : a.predictive ? 'on' : 'off',
    balance: a?.balance ?? '',
    rateMbps: text(a?.qos?.rateMbps),
    ceilMbps: text(a?.qos?.ceilMbps),
    qosPriority: text(a?.qos?.priority),
    burstBytes: text(a?.qos?.burstBytes),
  }
}

/** Whether the form's SLA fields hold anything: what "default" means for predictive. */
export const formHasSla = (f: ActionForm) =>
  [f.maxLatencyMs, f.maxJitterMs, f.maxLossPct].some((v) => v.trim() !== '')

/** The agent's rule (protocol/policy.ts predictiveOf), restated to keep zod out of the bundle. */
export const predictiveOf = (action: Record<string, unknown>): boolean =>
  typeof action['predictive'] === 'boolean'
    ? action['predictive']
    : action['sla'] !== undefined && action['sla'] !== null

export interface BuiltAction {
  action: Record<string, unknown>
  /** Client-side errors keyed like the API's field paths ("action.qos.rateMbps"). */
  errors: Record<string, string>
}

export function buildAction(f: ActionForm, original?: Record<string, unknown>): BuiltAction {
  const errors: Record<string, string> = {}
  const number = (field: string, value: string): number | undefined => {
    const trimmed = value.trim()
    if (trimmed === '') return undefined
    const n = Number(trimmed)
    if (!Number.isFinite(n)) {
      errors[field] = `"${trimmed}" is not a number`
      return undefined
    }
    return n
  }
  const compact = (o: Record<string, number | undefined>) => {
    const kept = Object.entries(o).filter(([, v]) => v !== undefined)
    return kept.length ? Object.fromEntries(kept) : undefined
  }

  const sla = compact({
    maxLatencyMs: number('action.sla.maxLatencyMs', f.maxLatencyMs),
    maxJitterMs: number('action.sla.maxJitterMs', f.maxJitterMs),
    maxLossPct: number('action.sla.maxLossPct', f.maxLossPct),
  })
  const rateMbps = number('action.qos.rateMbps', f.rateMbps)
  const rest = compact({
    ceilMbps: number('action.qos.ceilMbps', f.ceilMbps),
    priority: number('action.qos.priority', f.qosPriority),
    burstBytes: number('action.qos.burstBytes', f.burstBytes),
  })
  if (rateMbps === undefined && rest && !errors['action.qos.rateMbps']) {
    errors['action.qos.rateMbps'] = 'required when any QoS field is set'
  }
  const qos = rateMbps !== undefined ? { rateMbps, ...rest } : undefined

  const kept = Object.fromEntries(Object.entries(original ?? {}).filter(([k]) => !MANAGED.has(k)))
  // An explicit `false` stored by another client stays explicit while the box stays clear.
  const flag = (key: 'fec' | 'compression', on: boolean) =>
    on ? { [key]: true } : original?.[key] === false ? { [key]: false } : {}
  const scorer = f.scorer.trim()
  const action: Record<string, unknown> = {
    ...kept,
    preference: f.preference,
    ...(f.preference === 'custom' || scorer ? { scorer } : {}),
    ...(sla ? { sla } : {}),
    ...flag('fec', f.fec),
    ...flag('compression', f.compression),
    ...(f.predictive !== 'default' ? { predictive: f.predictive === 'on' } : {}),
    // Balance means something only for load-balance; the control is hidden otherwise.
    ...(f.preference === 'load-balance' && f.balance ? { balance: f.balance } : {}),
    ...(qos ? { qos } : {}),
  }
  return { action, errors }
}
