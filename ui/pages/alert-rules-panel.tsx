import { useState } from 'preact/hooks'
import { usePoll } from '../api/poll'
import { can } from '../api/session'
import type { AlertRuleView, Page } from '../api/types'
import { ErrorNote } from '../components/error-note'
import { Status } from '../components/status'
import { useSession } from '../session-context'
import { AlertRuleForm, METRICS } from './alert-rule-form'

/** "path.down, path.up (≥ warning)" or "loss, % > 2 over 5 min": a rule's condition in a line. */
export function describeRule(rule: AlertRuleView): string {
  if (rule.metric) {
    const m = rule.metric
    const window =
      m.windowSeconds % 3600 === 0 ? `${m.windowSeconds / 3600} h` : `${m.windowSeconds / 60} min`
    return `${METRICS[m.name]} ${m.op === 'gt' ? '>' : '<'} ${m.threshold} over ${window}`
  }
  const min = rule.minSeverity === 'info' ? '' : ` (≥ ${rule.minSeverity})`
  return `${rule.eventTypes.join(', ')}${min}`
}

type Open = { rule?: AlertRuleView } | null

/** The org's alert rules: list, and for operators create, edit and delete. */
export function AlertRulesPanel() {
  const session = useSession()
  const { api } = session
  const rules = usePoll(() => api.get<Page<AlertRuleView>>('/v1/alert-rules?limit=500'), [api])
  const [open, setOpen] = useState<Open>(null)
  const [error, setError] = useState<unknown>()
  const operator = can(session, 'operator')
  const items = rules.data?.items ?? []

  const remove = async (rule: AlertRuleView) => {
    if (!confirm(`Delete alert rule ${rule.name}? Its firing alerts end without a notification.`))
      return
    try {
      await api.delete(`/v1/alert-rules/${rule.id}`)
      setError(undefined)
      await rules.reload()
    } catch (e) {
      setError(e)
    }
  }

  return (
    <section class="panel" aria-labelledby="rules-title" style={{ marginTop: '1.5rem' }}>
      <div class="page-head">
        <h2 id="rules-title">Alert rules</h2>
        {operator ? (
          <button type="button" class="primary" onClick={() => setOpen({})}>
            New rule
          </button>
        ) : null}
      </div>
      <ErrorNote error={error ?? rules.error} />
      {rules.data && items.length === 0 ? (
        <p class="empty">No alert rules: events are recorded, nothing alerts.</p>
      ) : null}
      {items.length > 0 ? (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Alert rules</caption>
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">Kind</th>
                <th scope="col">Condition</th>
                <th scope="col">Sites</th>
                <th scope="col">Severity</th>
                <th scope="col">State</th>
                {operator ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.id} data-rule={r.name}>
                  <th scope="row">{r.name}</th>
                  <td>{r.kind}</td>
                  <td>{describeRule(r)}</td>
                  <td>
                    {r.siteSelector ??
                      (r.siteIds ? `${r.siteIds.length} site(s)` : <span class="muted">all</span>)}
                  </td>
                  <td>
                    <Status value={r.severity} />
                  </td>
                  <td>{r.enabled ? 'enabled' : 'disabled'}</td>
                  {operator ? (
                    <td class="actions">
                      <button type="button" onClick={() => setOpen({ rule: r })}>
                        Edit<span class="sr-only"> {r.name}</span>
                      </button>
                      <button type="button" class="danger" onClick={() => remove(r)}>
                        Delete<span class="sr-only"> {r.name}</span>
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {open ? (
        <AlertRuleForm
          {...(open.rule ? { rule: open.rule } : {})}
          onDone={() => {
            setOpen(null)
            void rules.reload()
          }}
        />
      ) : null}
    </section>
  )
}
