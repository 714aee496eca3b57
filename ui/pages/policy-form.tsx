import { useEffect, useRef, useState } from 'preact/hooks'
import { placeErrors } from '../api/field-errors'
import {
  actionForm,
  type Balance,
  buildAction,
  formHasSla,
  type Predictive,
} from '../api/policy-action'
import {
  formatLabels,
  joinList,
  numbersOrText,
  optionalNumber,
  parseLabels,
  splitList,
} from '../api/text-lists'
import type { Policy, PolicyAction, PolicyMatch } from '../api/types'
import { Dialog } from '../components/dialog'
import { Field } from '../components/field'
import { useSession } from '../session-context'

const PREFERENCES = ['lowest-latency', 'highest-bandwidth', 'lowest-cost', 'load-balance', 'custom']
const PROTOCOLS = ['tcp', 'udp', 'icmp', 'any'] as const

/** Every field the API may name in an error, most specific last. */
const FIELDS = [
  'name',
  'priority',
  'match',
  'match.applications',
  'match.protocols',
  'match.ports',
  'match.dscp',
  'match.sourcePrefixes',
  'match.destinationPrefixes',
  'match.siteLabels',
  'action',
  'action.preference',
  'action.scorer',
  'action.sla.maxLatencyMs',
  'action.sla.maxJitterMs',
  'action.sla.maxLossPct',
  'action.predictive',
  'action.balance',
  'action.qos',
  'action.qos.rateMbps',
  'action.qos.ceilMbps',
  'action.qos.priority',
  'action.qos.burstBytes',
] as const

const MATCH_KEYS = new Set([
  'applications',
  'protocols',
  'ports',
  'dscp',
  'sourcePrefixes',
  'destinationPrefixes',
  'siteLabels',
])

interface Props {
  policy?: Policy
  nextPriority: number
  onDone: (saved?: Policy) => void
}

/**
 * Create or edit a policy: a match builder (which traffic), an action (which path, SLA,
 * predictive failover, balancing, FEC, compression) and its QoS shaping.
 */
export function PolicyForm({ policy, nextPriority, onDone }: Props) {
  const { api } = useSession()
  const m = (policy?.match ?? {}) as PolicyMatch
  const [f, setF] = useState({
    name: policy?.name ?? '',
    priority: String(policy?.priority ?? nextPriority),
    applications: joinList(m.applications),
    protocols: new Set<string>(m.protocols ?? []),
    ports: joinList(m.ports),
    dscp: joinList(m.dscp),
    sourcePrefixes: joinList(m.sourcePrefixes),
    destinationPrefixes: joinList(m.destinationPrefixes),
    siteLabels: formatLabels(m.siteLabels),
    ...actionForm(policy?.action as Partial<PolicyAction> | undefined),
  })
  const [error, setError] = useState<unknown>()
  /** Errors found before sending (text that is no number), keyed like the API's paths. */
  const [checked, setChecked] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  const form = useRef<HTMLFormElement>(null)
  // After a refused submit, take the keyboard (and the view) to the first field in error:
  // the form is taller than the dialog, so an error may otherwise be out of sight.
  useEffect(() => {
    form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus()
  }, [error, checked])
  const placed = placeErrors(error, FIELDS)
  const err = (field: (typeof FIELDS)[number]) => checked[field] ?? placed.byField[field]
  const text = (key: keyof typeof f) => (e: { currentTarget: { value: string } }) =>
    setF({ ...f, [key]: e.currentTarget.value })

  const submit = async (event: Event) => {
    event.preventDefault()
    // Keep match keys this form has no control for (none today; a newer API may add some).
    const match: Record<string, unknown> = Object.fromEntries(
      Object.entries(policy?.match ?? {}).filter(([k]) => !MATCH_KEYS.has(k)),
    )
    const list = (key: string, values: unknown[]) => {
      if (values.length) match[key] = values
    }
    list('applications', splitList(f.applications))
    list('protocols', [...f.protocols])
    list('ports', numbersOrText(f.ports))
    list('dscp', numbersOrText(f.dscp))
    list('sourcePrefixes', splitList(f.sourcePrefixes))
    list('destinationPrefixes', splitList(f.destinationPrefixes))
    const labels = parseLabels(f.siteLabels)
    if (Object.keys(labels).length) match['siteLabels'] = labels
    const { action, errors } = buildAction(f, policy?.action)
    setChecked(errors)
    if (Object.keys(errors).length) {
      setError(undefined)
      return
    }
    const body = { name: f.name.trim(), priority: optionalNumber(f.priority), match, action }
    setBusy(true)
    try {
      const saved = policy
        ? await api.patch<Policy>(`/v1/policies/${policy.id}`, body, policy.version)
        : await api.post<Policy>('/v1/policies', body)
      onDone(saved)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  const toggleProtocol = (p: string) => {
    const next = new Set(f.protocols)
    if (next.has(p)) next.delete(p)
    else next.add(p)
    setF({ ...f, protocols: next })
  }

  return (
    <Dialog title={policy ? `Edit policy ${policy.name}` : 'New policy'} onClose={() => onDone()}>
      <form ref={form} onSubmit={submit} noValidate>
        {placed.general.map((message) => (
          <p class="error-note" role="alert" key={message}>
            {message}
          </p>
        ))}
        <div class="grid-2">
          <Field id="policy-name" label="Name" error={err('name')}>
            {(aria) => <input {...aria} value={f.name} onInput={text('name')} />}
          </Field>
          <Field
            id="policy-priority"
            label="Priority"
            error={err('priority')}
            hint="Lower numbers are evaluated first"
          >
            {(aria) => (
              <input {...aria} inputMode="numeric" value={f.priority} onInput={text('priority')} />
            )}
          </Field>
        </div>
        <fieldset>
          <legend>Match: which traffic (all given conditions must hold)</legend>
          {err('match') ? <p class="field-error">{err('match')}</p> : null}
          <div class="grid-2">
            <Field
              id="match-applications"
              label="Applications"
              error={err('match.applications')}
              hint="e.g. zoom, teams (comma separated)"
            >
              {(aria) => <input {...aria} value={f.applications} onInput={text('applications')} />}
            </Field>
            <div class="field">
              <fieldset class="checks" aria-describedby="match-protocols-error">
                <legend>Protocols</legend>
                {PROTOCOLS.map((p) => (
                  <label key={p}>
                    <input
                      type="checkbox"
                      checked={f.protocols.has(p)}
                      onChange={() => toggleProtocol(p)}
                    />
                    {p}
                  </label>
                ))}
              </fieldset>
              {err('match.protocols') ? (
                <p class="field-error" id="match-protocols-error" role="alert">
                  {err('match.protocols')}
                </p>
              ) : null}
            </div>
            <Field
              id="match-ports"
              label="Ports"
              error={err('match.ports')}
              hint="e.g. 443, 8000-8100"
            >
              {(aria) => <input {...aria} value={f.ports} onInput={text('ports')} />}
            </Field>
            <Field id="match-dscp" label="DSCP" error={err('match.dscp')} hint="0-63, e.g. 46">
              {(aria) => <input {...aria} value={f.dscp} onInput={text('dscp')} />}
            </Field>
            <Field
              id="match-source"
              label="Source prefixes"
              error={err('match.sourcePrefixes')}
              hint="CIDR, comma separated"
            >
              {(aria) => (
                <input {...aria} value={f.sourcePrefixes} onInput={text('sourcePrefixes')} />
              )}
            </Field>
            <Field
              id="match-destination"
              label="Destination prefixes"
              error={err('match.destinationPrefixes')}
              hint="CIDR, comma separated"
            >
              {(aria) => (
                <input
                  {...aria}
                  value={f.destinationPrefixes}
                  onInput={text('destinationPrefixes')}
                />
              )}
            </Field>
          </div>
          <Field
            id="match-labels"
            label="Site labels"
            error={err('match.siteLabels')}
            hint="key=value, one per line: only at sites with these labels"
          >
            {(aria) => <textarea {...aria} value={f.siteLabels} onInput={text('siteLabels')} />}
          </Field>
        </fieldset>
        <fieldset>
          <legend>Action: which path</legend>
          {err('action') ? <p class="field-error">{err('action')}</p> : null}
          <div class="grid-2">
            <Field id="action-preference" label="Path preference" error={err('action.preference')}>
              {(aria) => (
                <select
                  {...aria}
                  value={f.preference}
                  onChange={(e) =>
                    setF({ ...f, preference: e.currentTarget.value as PolicyAction['preference'] })
                  }
                >
                  {PREFERENCES.map((p) => (
                    <option key={p} value={p}>
                      {p}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            {f.preference === 'custom' || err('action.scorer') ? (
              <Field id="action-scorer" label="Scorer plugin" error={err('action.scorer')}>
                {(aria) => <input {...aria} value={f.scorer} onInput={text('scorer')} />}
              </Field>
            ) : null}
            {f.preference === 'load-balance' || err('action.balance') ? (
              <Field
                id="action-balance"
                label="Load balancing"
                error={err('action.balance')}
                hint="Per packet spreads evener but reorders packets within a flow"
              >
                {(aria) => (
                  <select
                    {...aria}
                    value={f.balance}
                    onChange={(e) => setF({ ...f, balance: e.currentTarget.value as Balance })}
                  >
                    <option value="">Default (per flow)</option>
                    <option value="per-flow">Per flow: a flow stays on one path</option>
                    <option value="per-packet">Per packet: every packet picks a path</option>
                  </select>
                )}
              </Field>
            ) : null}
            <Field
              id="sla-latency"
              label="SLA: max latency, ms"
              error={err('action.sla.maxLatencyMs')}
            >
              {(aria) => (
                <input
                  {...aria}
                  inputMode="decimal"
                  value={f.maxLatencyMs}
                  onInput={text('maxLatencyMs')}
                />
              )}
            </Field>
            <Field
              id="sla-jitter"
              label="SLA: max jitter, ms"
              error={err('action.sla.maxJitterMs')}
            >
              {(aria) => (
                <input
                  {...aria}
                  inputMode="decimal"
                  value={f.maxJitterMs}
                  onInput={text('maxJitterMs')}
                />
              )}
            </Field>
            <Field id="sla-loss" label="SLA: max loss, %" error={err('action.sla.maxLossPct')}>
              {(aria) => (
                <input
                  {...aria}
                  inputMode="decimal"
                  value={f.maxLossPct}
                  onInput={text('maxLossPct')}
                />
              )}
            </Field>
            <Field
              id="action-predictive"
              label="Predictive failover"
              error={err('action.predictive')}
              hint="Move this class off a path before it fails, when the agent's failure predictor flags the path. Default: on when the action has an SLA."
            >
              {(aria) => (
                <select
                  {...aria}
                  value={f.predictive}
                  onChange={(e) => setF({ ...f, predictive: e.currentTarget.value as Predictive })}
                >
                  <option value="default">
                    {formHasSla(f) ? 'Default (on: an SLA is set)' : 'Default (off: no SLA set)'}
                  </option>
                  <option value="on">On</option>
                  <option value="off">Off</option>
                </select>
              )}
            </Field>
          </div>
          <div class="checks">
            <label>
              <input
                type="checkbox"
                checked={f.fec}
                onChange={(e) => setF({ ...f, fec: e.currentTarget.checked })}
              />
              Forward error correction
            </label>
            <label>
              <input
                type="checkbox"
                checked={f.compression}
                onChange={(e) => setF({ ...f, compression: e.currentTarget.checked })}
              />
              Compression
            </label>
          </div>
        </fieldset>
        <fieldset>
          <legend>QoS: egress shaping on every shaped uplink (leave empty for none)</legend>
          {err('action.qos') ? <p class="field-error">{err('action.qos')}</p> : null}
          <div class="grid-2">
            <Field
              id="qos-rate"
              label="QoS: rate, Mbps"
              error={err('action.qos.rateMbps')}
              hint="Guaranteed to this class"
            >
              {(aria) => (
                <input
                  {...aria}
                  inputMode="decimal"
                  value={f.rateMbps}
                  onInput={text('rateMbps')}
                />
              )}
            </Field>
            <Field
              id="qos-ceil"
              label="QoS: ceiling, Mbps"
              error={err('action.qos.ceilMbps')}
              hint="May borrow up to this when others are idle; default: the uplink"
            >
              {(aria) => (
                <input
                  {...aria}
                  inputMode="decimal"
                  value={f.ceilMbps}
                  onInput={text('ceilMbps')}
                />
              )}
            </Field>
            <Field
              id="qos-priority"
              label="QoS: priority"
              error={err('action.qos.priority')}
              hint="0-7, 0 borrows first; default 3"
            >
              {(aria) => (
                <input
                  {...aria}
                  inputMode="numeric"
                  value={f.qosPriority}
                  onInput={text('qosPriority')}
                />
              )}
            </Field>
            <Field
              id="qos-burst"
              label="QoS: burst, bytes"
              error={err('action.qos.burstBytes')}
              hint="1500 to 16777216; default: from the rate"
            >
              {(aria) => (
                <input
                  {...aria}
                  inputMode="numeric"
                  value={f.burstBytes}
                  onInput={text('burstBytes')}
                />
              )}
            </Field>
          </div>
        </fieldset>
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {policy ? 'Save' : 'Create policy'}
          </button>
          <button type="button" onClick={() => onDone()}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  )
}
