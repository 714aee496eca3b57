import { useMemo, useState } from 'preact/hooks'
import { query } from '../api/client'
import { usePoll } from '../api/poll'
import { can } from '../api/session'
import type { AlertView, Page, SilenceView, Site } from '../api/types'
import { ErrorNote } from '../components/error-note'
import { Link } from '../components/link'
import { Status } from '../components/status'
import { Time } from '../components/time'
import { navigate, useLocation } from '../router'
import { useSession } from '../session-context'
import { AlertRulesPanel } from './alert-rules-panel'
import { SilenceDialog } from './silence-dialog'

/**
 * Alerts (firing first by default), acknowledge and silence; active silences, end them;
 * the alert rules that raise them, with an editor.
 */
export function Alerts() {
  const session = useSession()
  const { api } = session
  const status = useLocation().search.get('status') ?? 'firing'
  const alerts = usePoll(
    () =>
      api.get<Page<AlertView>>(
        `/v1/alerts${query({ status: status === 'all' ? undefined : status, limit: 100 })}`,
      ),
    [api, status],
  )
  const silences = usePoll(() => api.get<Page<SilenceView>>('/v1/silences?active=true'), [api])
  const sites = usePoll(() => api.get<Page<Site>>('/v1/sites?limit=500'), [api], 60_000)
  const names = useMemo(
    () => new Map((sites.data?.items ?? []).map((s) => [s.id, s.name])),
    [sites.data],
  )
  const [silencing, setSilencing] = useState<AlertView>()
  const [error, setError] = useState<unknown>()
  const operator = can(session, 'operator')

  const act = async (work: () => Promise<unknown>) => {
    try {
      await work()
      await Promise.all([alerts.reload(), silences.reload()])
    } catch (e) {
      setError(e)
    }
  }

  const items = alerts.data?.items ?? []
  return (
    <section>
      <div class="page-head">
        <h1 tabIndex={-1}>Alerts</h1>
        <div class="field" style={{ margin: 0, minWidth: '12rem' }}>
          <label for="alert-status">Show</label>
          <select
            id="alert-status"
            value={status}
            onChange={(e) => navigate(`/alerts${query({ status: e.currentTarget.value })}`)}
          >
            <option value="firing">Firing</option>
            <option value="resolved">Resolved</option>
            <option value="all">All</option>
          </select>
        </div>
      </div>
      <ErrorNote error={error ?? alerts.error} />
      {alerts.data && items.length === 0 ? <p class="empty">No {status} alerts.</p> : null}
      {items.length > 0 ? (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Alerts</caption>
            <thead>
              <tr>
                <th scope="col">Alert</th>
                <th scope="col">Severity</th>
                <th scope="col">Site</th>
                <th scope="col">Started</th>
                <th scope="col" class="num">
                  Events
                </th>
                <th scope="col">State</th>
                {operator ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id} data-alert={a.ruleName ?? a.ruleId}>
                  <th scope="row">
                    {a.ruleName ?? a.ruleId}
                    <div class="muted" style={{ fontWeight: 'normal' }}>
                      {a.summary}
                    </div>
                  </th>
                  <td>
                    <Status value={a.severity} />
                  </td>
                  <td>
                    {a.siteId ? (
                      <Link href={`/sites/${a.siteId}`}>{names.get(a.siteId) ?? a.siteId}</Link>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>
                    <Time at={a.startedAt} />
                  </td>
                  <td class="num">{a.eventCount}</td>
                  <td>
                    {a.status === 'resolved' ? (
                      <span>
                        resolved <Time at={a.resolvedAt} />
                      </span>
                    ) : a.acknowledgedAt ? (
                      <span>acknowledged</span>
                    ) : (
                      <strong>firing</strong>
                    )}
                  </td>
                  {operator ? (
                    <td class="actions">
                      {a.status === 'firing' && !a.acknowledgedAt ? (
                        <button
                          type="button"
                          onClick={() => act(() => api.request('POST', `/v1/alerts/${a.id}/ack`))}
                        >
                          Acknowledge<span class="sr-only"> {a.ruleName}</span>
                        </button>
                      ) : null}
                      <button type="button" onClick={() => setSilencing(a)}>
                        Silence<span class="sr-only"> {a.ruleName}</span>
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <section class="panel" aria-labelledby="silences-title" style={{ marginTop: '1.5rem' }}>
        <h2 id="silences-title">Active silences</h2>
        <ErrorNote error={silences.error} />
        {silences.data && silences.data.items.length === 0 ? (
          <p class="empty">Nothing is silenced.</p>
        ) : null}
        <ul class="event-list">
          {(silences.data?.items ?? []).map((s) => (
            <li key={s.id} data-silence={s.comment}>
              <strong>{s.comment}</strong>
              <span class="muted">
                {s.siteIds?.map((id) => names.get(id) ?? id).join(', ') ?? s.siteSelector ?? ''}{' '}
                until {new Date(s.endsAt).toLocaleString()}
              </span>
              {operator ? (
                <button
                  type="button"
                  style={{ marginLeft: 'auto' }}
                  onClick={() => act(() => api.delete(`/v1/silences/${s.id}`))}
                >
                  End silence<span class="sr-only"> {s.comment}</span>
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      </section>
      <AlertRulesPanel />
      {silencing ? (
        <SilenceDialog
          alert={silencing}
          onDone={() => {
            setSilencing(undefined)
            void silences.reload()
          }}
        />
      ) : null}
    </section>
  )
}
