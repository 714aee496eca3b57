import { describe, expect, it } from 'vitest'
import { actionForm, buildAction, formHasSla, predictiveOf } from './policy-action'

describe('policy action form', () => {
  it('round-trips every field it edits', () => {
    const action = {
      preference: 'load-balance' as const,
      sla: { maxLatencyMs: 150, maxJitterMs: 30, maxLossPct: 1 },
      fec: true,
      compression: true,
      predictive: false,
      balance: 'per-packet' as const,
      qos: { rateMbps: 8, ceilMbps: 20, priority: 1, burstBytes: 30_000 },
    }
    expect(buildAction(actionForm(action), action)).toEqual({ action, errors: {} })
  })

  it('keeps keys it has no control for, and an explicit false', () => {
    const original = { preference: 'lowest-cost', fec: false, futureKnob: { x: 1 } }
    const { action } = buildAction(actionForm(original as never), original)
    expect(action).toEqual(original)
  })

  it('sends predictive only when chosen, and balance only with load-balance', () => {
    const form = { ...actionForm(undefined), balance: 'per-flow' as const }
    expect(buildAction(form).action).toEqual({ preference: 'lowest-latency' })
    expect(buildAction({ ...form, predictive: 'on' }).action).toEqual({
      preference: 'lowest-latency',
      predictive: true,
    })
    expect(buildAction({ ...form, preference: 'load-balance' }).action).toEqual({
      preference: 'load-balance',
      balance: 'per-flow',
    })
  })

  it('catches text that is no number and a QoS without its rate; leaves ranges to the API', () => {
    const form = actionForm(undefined)
    expect(buildAction({ ...form, rateMbps: 'ten', maxLossPct: '1%' }).errors).toEqual({
      'action.qos.rateMbps': '"ten" is not a number',
      'action.sla.maxLossPct': '"1%" is not a number',
    })
    expect(buildAction({ ...form, qosPriority: '2' }).errors).toEqual({
      'action.qos.rateMbps': 'required when any QoS field is set',
    })
    const outOfRange = buildAction({ ...form, rateMbps: '0', qosPriority: '9' })
    expect(outOfRange.errors).toEqual({})
    expect(outOfRange.action['qos']).toEqual({ rateMbps: 0, priority: 9 })
  })

  it('says what the predictive default is: on with an SLA, as the agent decides', () => {
    expect(formHasSla(actionForm(undefined))).toBe(false)
    expect(formHasSla({ ...actionForm(undefined), maxJitterMs: ' 5 ' })).toBe(true)
    expect(predictiveOf({ preference: 'custom' })).toBe(false)
    expect(predictiveOf({ sla: { maxLossPct: 1 } })).toBe(true)
    expect(predictiveOf({ sla: { maxLossPct: 1 }, predictive: false })).toBe(false)
    expect(predictiveOf({ predictive: true })).toBe(true)
  })
})
