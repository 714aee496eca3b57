import { useState } from 'preact/hooks'
import { placeErrors } from '../api/field-errors'
import { splitList } from '../api/text-lists'
import { type AlertRuleView, EVENT_TYPES } from '../api/types'
import { Dialog } from '../components/dialog'
import { Field } from '../components/field'
import { useSession } from '../session-context'

const SEVERITIES = ['info', 'warning', 'critical'] as const
export const METRICS = {
  lossPct: 'loss, %',
  rttMs: 'latency, ms',
  jitterMs: 'jitter, ms',
  mos: 'MOS',
} as const

/** Every field the API may name in an error, most specific last. */
const FIELDS = [
  'name',
  'enabled',
  'eventTypes',
  'metric',
  'metric.name',
  'metric.op',
  'metric.threshold',
  'metric.windowSeconds',
  'siteIds',
  'siteSelector',
  'minSeverity',
  'severity',
  'resolveAfterSeconds',
  'repeatIntervalSeconds',
] as const

/** A number field as typed: "" -> null (no value), otherwise the number (NaN goes to the API). */
const numberOrNull = (text: string): number | null => (text.trim() === '' ? null : Number(text))

interface Props {
  rule?: AlertRuleView
  onDone: () => void
}

/**
 * Create or edit an alert rule: on events (types, minimum severity) or on a path metric
 * crossing a threshold over a window. A rule keeps its kind once created.
 */
export function AlertRuleForm({ rule, onDone }: Props) {
  const { api } = useSession()
  const [f, setF] = useState({
    name: rule?.name ?? '',
    kind: rule?.kind ?? 'event',
    enabled: rule?.enabled ?? true,
    eventTypes: new Set<string>(rule?.eventTypes ?? []),
    metricName: rule?.metric?.name ?? 'lossPct',
    op: rule?.metric?.op ?? 'gt',
    threshold: rule?.metric?.threshold.toString() ?? '',
    windowSeconds: rule?.metric?.windowSeconds.toString() ?? '300',
    siteSelector: rule?.siteSelector ?? '',
    siteIds: (rule?.siteIds ?? []).join(', '),
    minSeverity: rule?.minSeverity ?? 'info',
    severity: rule?.severity ?? 'warning',
    resolveAfterSeconds: rule?.resolveAfterSeconds?.toString() ?? '',
    repeatIntervalSeconds: rule?.repeatIntervalSeconds?.toString() ?? '',
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
    const siteIds = splitList(f.siteIds)
    const body = {
      name: f.name.trim(),
      enabled: f.enabled,
      ...(f.kind === 'event'
        ? { eventTypes: [...f.eventTypes], minSeverity: f.minSeverity }
        : {
            metric: {
              name: f.metricName,
              op: f.op,
              threshold: numberOrNull(f.threshold),
              windowSeconds: numberOrNull(f.windowSeconds),
            },
          }),
      siteSelector: f.siteSelector.trim() || null,
      siteIds: siteIds.length ? siteIds : null,
      severity: f.severity,
      resolveAfterSeconds: numberOrNull(f.resolveAfterSeconds),
      repeatIntervalSeconds: numberOrNull(f.repeatIntervalSeconds),
    }
    try {
      if (rule) await api.patch(`/v1/alert-rules/${rule.id}`, body, rule.version)
      else await api.post('/v1/alert-rules', body)
      onDone()
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  const toggle = (type: string) => {
    const next = new Set(f.eventTypes)
    if (next.has(type)) next.delete(type)
    else next.add(type)
    setF({ ...f, eventTypes: next })
  }

  const severitySelect = (key: 'minSeverity' | 'severity') => (aria: object) => (
    <select {...aria} value={f[key]} onChange={text(key)}>
      {SEVERITIES.map((s) => (
        <option key={s} value={s}>
          {s}
        </option>
      ))}
    </select>
  )

  return (
    <Dialog title={rule ? `Edit rule ${rule.name}` : 'New alert rule'} onClose={onDone}>
      <form onSubmit={submit} noValidate>
        {placed.general.map((message) => (
          <p class="error-note" role="alert" key={message}>
            {message}
          </p>
        ))}
        <div class="grid-2">
          <Field id="rule-name" label="Name" error={err('name')}>
            {(aria) => <input {...aria} value={f.name} onInput={text('name')} />}
          </Field>
          <Field
            id="rule-severity"
            label="Alert severity"
            error={err('severity')}
            hint="The severity of the alerts this rule raises"
          >
            {severitySelect('severity')}
          </Field>
        </div>
        <fieldset class="checks kind" disabled={Boolean(rule)}>
          <legend>Kind{rule ? ' (fixed once created)' : ''}</legend>
          <label>
            <input
              type="radio"
              name="rule-kind"
              checked={f.kind === 'event'}
              onChange={() => setF({ ...f, kind: 'event' })}
            />
            On events
          </label>
          <label>
            <input
              type="radio"
              name="rule-kind"
              checked={f.kind === 'metric'}
              onChange={() => setF({ ...f, kind: 'metric' })}
            />
            Metric threshold
          </label>
        </fieldset>
        {f.kind === 'event' ? (
          <fieldset>
            <legend>Events that fire it</legend>
            <div class="field">
              <fieldset
                class="checks"
                aria-describedby={err('eventTypes') ? 'rule-events-error' : undefined}
              >
                <legend>Event types</legend>
                {EVENT_TYPES.map((t) => (
                  <label key={t}>
                    <input
                      type="checkbox"
                      checked={f.eventTypes.has(t)}
                      onChange={() => toggle(t)}
                    />
                    {t}
                  </label>
                ))}
              </fieldset>
              {err('eventTypes') ? (
                <p
                  class="field-error"
                  id="rule-events-error"
                  role="alert"
                  data-field-error="rule-events"
                >
                  {err('eventTypes')}
                </p>
              ) : null}
            </div>
            <Field id="rule-min-severity" label="Minimum event severity" error={err('minSeverity')}>
              {severitySelect('minSeverity')}
            </Field>
          </fieldset>
        ) : (
          <fieldset>
            <legend>Threshold: fires while a path's metric crosses it over the window</legend>
            {err('metric') ? <p class="field-error">{err('metric')}</p> : null}
            <div class="grid-2">
              <Field id="metric-name" label="Metric" error={err('metric.name')}>
                {(aria) => (
                  <select {...aria} value={f.metricName} onChange={text('metricName')}>
                    {Object.entries(METRICS).map(([value, label]) => (
                      <option key={value} value={value}>
                        {label}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <Field id="metric-op" label="Fires when" error={err('metric.op')}>
                {(aria) => (
                  <select {...aria} value={f.op} onChange={text('op')}>
                    <option value="gt">above the threshold</option>
                    <option value="lt">below the threshold</option>
                  </select>
                )}
              </Field>
              <Field id="metric-threshold" label="Threshold" error={err('metric.threshold')}>
                {(aria) => (
                  <input
                    {...aria}
                    inputMode="decimal"
                    value={f.threshold}
                    onInput={text('threshold')}
                  />
                )}
              </Field>
              <Field
                id="metric-window"
                label="Window, seconds"
                error={err('metric.windowSeconds')}
                hint="A multiple of 60, from 60 to 86400"
              >
                {(aria) => (
                  <input
                    {...aria}
                    inputMode="numeric"
                    value={f.windowSeconds}
                    onInput={text('windowSeconds')}
                  />
                )}
              </Field>
            </div>
          </fieldset>
        )}
        <fieldset>
          <legend>Where and how often</legend>
          <div class="grid-2">
            <Field
              id="rule-selector"
              label="Site selector"
              error={err('siteSelector')}
              hint="e.g. region=eu,tier=~gold|silver; empty: every site"
            >
              {(aria) => <input {...aria} value={f.siteSelector} onInput={text('siteSelector')} />}
            </Field>
            <Field
              id="rule-sites"
              label="Site ids"
              error={err('siteIds')}
              hint="Comma separated; empty: every site"
            >
              {(aria) => <input {...aria} value={f.siteIds} onInput={text('siteIds')} />}
            </Field>
            <Field
              id="rule-resolve"
              label="Resolve after, seconds"
              error={err('resolveAfterSeconds')}
              hint="Quiet time that resolves an alert; empty: the default"
            >
              {(aria) => (
                <input
                  {...aria}
                  inputMode="numeric"
                  value={f.resolveAfterSeconds}
                  onInput={text('resolveAfterSeconds')}
                />
              )}
            </Field>
            <Field
              id="rule-repeat"
              label="Repeat every, seconds"
              error={err('repeatIntervalSeconds')}
              hint="Notify again while firing (300 or more); empty: once"
            >
              {(aria) => (
                <input
                  {...aria}
                  inputMode="numeric"
                  value={f.repeatIntervalSeconds}
                  onInput={text('repeatIntervalSeconds')}
                />
              )}
            </Field>
          </div>
        </fieldset>
        <div class="checks">
          <label>
            <input
              type="checkbox"
              checked={f.enabled}
              onChange={(e) => setF({ ...f, enabled: e.currentTarget.checked })}
            />
            Enabled
          </label>
        </div>
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {rule ? 'Save' : 'Create rule'}
          </button>
          <button type="button" onClick={onDone}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  )
}
