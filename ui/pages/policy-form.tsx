import { useState } from 'preact/hooks'
import { placeErrors } from '../api/field-errors'
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
] as const

interface Props {
  policy?: Policy
  nextPriority: number
  onDone: (saved?: Policy) => void
}

/** Create or edit a policy: a match builder (which traffic) and an action (which path). */
export function PolicyForm({ policy, nextPriority, onDone }: Props) {
  const { api } = useSession()
  const m = (policy?.match ?? {}) as PolicyMatch
  const a = (policy?.action ?? { preference: 'lowest-latency' }) as PolicyAction
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
    preference: a.preference,
    scorer: a.scorer ?? '',
    maxLatencyMs: a.sla?.maxLatencyMs?.toString() ?? '',
    maxJitterMs: a.sla?.maxJitterMs?.toString() ?? '',
    maxLossPct: a.sla?.maxLossPct?.toString() ?? '',
    fec: a.fec ?? false,
    compression: a.compression ?? false,
  })
  const [error, setError] = useState<unknown>()
  const [busy, setBusy] = useState(false)
  const placed = placeErrors(error, FIELDS)
  const err = (field: (typeof FIELDS)[number]) => placed.byField[field]
  const text = (key: keyof typeof f) => (e: { currentTarget: { value: string } }) =>
    setF({ ...f, [key]: e.currentTarget.value })

  const submit = async (event: Event) => {
    event.preventDefault()
    setBusy(true)
    const match: Record<string, unknown> = {}
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
    const sla = {
      maxLatencyMs: optionalNumber(f.maxLatencyMs),
      maxJitterMs: optionalNumber(f.maxJitterMs),
      maxLossPct: optionalNumber(f.maxLossPct),
    }
    const hasSla = Object.values(sla).some((v) => v !== undefined)
    const action = {
      preference: f.preference,
      ...(f.preference === 'custom' || f.scorer.trim() ? { scorer: f.scorer.trim() } : {}),
      ...(hasSla ? { sla } : {}),
      ...(f.fec ? { fec: true } : {}),
      ...(f.compression ? { compression: true } : {}),
      // No control for it yet: keep an explicit predictive-failover choice (issue 9) as it was.
      ...(a.predictive !== undefined ? { predictive: a.predictive } : {}),
    }
    const body = { name: f.name.trim(), priority: optionalNumber(f.priority), match, action }
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
      <form onSubmit={submit} noValidate>
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
