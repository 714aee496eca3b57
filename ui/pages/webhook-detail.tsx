import { useState } from 'preact/hooks'
import { query } from '../api/client'
import { usePoll } from '../api/poll'
import { can } from '../api/session'
import type { DeliveryView, Page, WebhookView } from '../api/types'
import { ErrorNote } from '../components/error-note'
import { Link } from '../components/link'
import { Status } from '../components/status'
import { Time } from '../components/time'
import { navigate, useLocation } from '../router'
import { useSession } from '../session-context'
import { WebhookState, webhookName } from './webhooks'

/** A delivery's status with a shape as well as a colour (Status's palette). */
const DELIVERY_STATUS: Record<DeliveryView['status'], { value: string; label: string }> = {
  succeeded: { value: 'up', label: 'delivered' },
  failed: { value: 'down', label: 'failed' },
  pending: { value: 'stale', label: 'pending' },
  cancelled: { value: 'offline', label: 'cancelled' },
}

/** One endpoint and its delivery log, newest first: filter by status, redeliver. */
export function WebhookDetail({ webhookId }: { webhookId: string }) {
  const session = useSession()
  const { api } = session
  const status = useLocation().search.get('status') ?? ''
  const hook = usePoll(() => api.get<WebhookView>(`/v1/webhooks/${webhookId}`), [api, webhookId])
  const deliveries = usePoll(
    () =>
      api.get<Page<DeliveryView>>(
        `/v1/webhooks/${webhookId}/deliveries${query({ status, limit: 100 })}`,
      ),
    [api, webhookId, status],
  )
  const [error, setError] = useState<unknown>()
  const [notice, setNotice] = useState('')
  const operator = can(session, 'operator')
  const w = hook.data
  const items = deliveries.data?.items ?? []

  const redeliver = async (d: DeliveryView) => {
    try {
      await api.request('POST', `/v1/webhooks/${webhookId}/deliveries/${d.id}/redeliver`)
      setError(undefined)
      setNotice(`${d.type} queued again`)
      await deliveries.reload()
    } catch (e) {
      setError(e)
    }
  }

  return (
    <section>
      <p class="muted">
        <Link href="/webhooks">← Webhooks</Link>
      </p>
      <div class="page-head">
        <h1 tabIndex={-1}>Webhook {w ? webhookName(w) : ''}</h1>
        <div class="field" style={{ margin: 0, minWidth: '12rem' }}>
          <label for="delivery-status">Show</label>
          <select
            id="delivery-status"
            value={status}
            onChange={(e) =>
              navigate(`/webhooks/${webhookId}${query({ status: e.currentTarget.value })}`)
            }
          >
            <option value="">All deliveries</option>
            <option value="succeeded">Delivered</option>
            <option value="pending">Pending</option>
            <option value="failed">Failed</option>
            <option value="cancelled">Cancelled</option>
          </select>
        </div>
      </div>
      <ErrorNote error={hook.error} />
      {w ? (
        <dl class="panel facts" aria-label="Endpoint">
          <div>
            <dt>URL</dt>
            <dd>
              <code>{w.url}</code>
            </dd>
          </div>
          <div>
            <dt>Events</dt>
            <dd>{w.events.join(', ')}</dd>
          </div>
          <div>
            <dt>Format</dt>
            <dd>{w.format}</dd>
          </div>
          <div>
            <dt>State</dt>
            <dd>
              <WebhookState webhook={w} />
              {w.disabledReason ? <span class="muted"> {w.disabledReason}</span> : null}
            </dd>
          </div>
          <div>
            <dt>Failures in a row</dt>
            <dd>{w.consecutiveFailures}</dd>
          </div>
          {w.previousSecretExpiresAt ? (
            <div>
              <dt>Previous secret</dt>
              <dd>
                signs too until <Time at={w.previousSecretExpiresAt} />
              </dd>
            </div>
          ) : null}
        </dl>
      ) : null}
      <section aria-labelledby="deliveries-title">
        <h2 id="deliveries-title">Delivery log</h2>
        <ErrorNote error={error ?? deliveries.error} />
        <p role="status" class="muted">
          {notice}
        </p>
        {deliveries.data && items.length === 0 ? (
          <p class="empty">No {status ? `${status} ` : ''}deliveries yet.</p>
        ) : null}
        {items.length > 0 ? (
          <div class="table-wrap">
            <table>
              <caption class="sr-only">Deliveries, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Message</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="num">
                    Response
                  </th>
                  <th scope="col" class="num">
                    Latency
                  </th>
                  <th scope="col" class="num">
                    Attempts
                  </th>
                  <th scope="col">Last attempt</th>
                  <th scope="col">Next attempt</th>
                  <th scope="col">Error</th>
                  {operator ? <th scope="col">Actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {items.map((d) => {
                  const s = DELIVERY_STATUS[d.status]
                  return (
                    <tr key={d.id} data-delivery={d.id} data-type={d.type} data-status={d.status}>
                      <th scope="row">
                        <code>{d.type}</code>
                        <div class="muted" style={{ fontWeight: 'normal' }}>
                          {d.id} · <Time at={d.createdAt} />
                        </div>
                      </th>
                      <td>
                        <Status value={s.value} label={s.label} />
                      </td>
                      <td class="num">{d.responseStatus ?? '—'}</td>
                      <td class="num">{d.latencyMs === null ? '—' : `${d.latencyMs} ms`}</td>
                      <td class="num">{d.attempts}</td>
                      <td>
                        <Time at={d.lastAttemptAt} />
                      </td>
                      <td>
                        <Time at={d.nextAttemptAt} never="—" />
                      </td>
                      <td class="delivery-error">{d.error ?? ''}</td>
                      {operator ? (
                        <td class="actions">
                          {d.status !== 'pending' ? (
                            <button type="button" onClick={() => redeliver(d)}>
                              Redeliver<span class="sr-only"> {d.id}</span>
                            </button>
                          ) : null}
                        </td>
                      ) : null}
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </section>
  )
}
