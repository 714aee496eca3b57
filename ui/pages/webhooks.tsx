import { useState } from 'preact/hooks'
import { usePoll } from '../api/poll'
import { can } from '../api/session'
import type { Page, WebhookCreated, WebhookView } from '../api/types'
import { CopyButton } from '../components/copy-button'
import { ErrorNote } from '../components/error-note'
import { Link } from '../components/link'
import { Status } from '../components/status'
import { useSession } from '../session-context'
import { WebhookForm } from './webhook-form'

/** "enabled", "paused" or "disabled" (by the dispatcher after failing for good), as a status. */
export function WebhookState({ webhook }: { webhook: WebhookView }) {
  if (webhook.enabled) return <Status value="up" label="enabled" />
  if (webhook.disabledAt) return <Status value="down" label="disabled" />
  return <Status value="stale" label="paused" />
}

export const webhookName = (w: WebhookView) => w.description ?? w.url

type Open = { webhook?: WebhookView } | null

/** The secret of a new or rotated endpoint: shown once, then forgotten. */
export function NewSecret({ hook, onDismiss }: { hook: WebhookCreated; onDismiss: () => void }) {
  return (
    <div class="secret" role="status">
      <p>
        Signing secret of <strong>{webhookName(hook)}</strong>: copy it now, it is never shown
        again.
      </p>
      <pre class="command" data-testid="webhook-secret">
        {hook.secret}
      </pre>
      <div class="actions">
        <CopyButton text={hook.secret} label="Copy secret" />
        <button type="button" onClick={onDismiss}>
          I have stored it
        </button>
      </div>
    </div>
  )
}

/** Webhook endpoints: create (secret shown once), edit, rotate the secret, delete. */
export function Webhooks() {
  const session = useSession()
  const { api } = session
  const hooks = usePoll(() => api.get<Page<WebhookView>>('/v1/webhooks?limit=500'), [api])
  const [open, setOpen] = useState<Open>(null)
  const [secret, setSecret] = useState<WebhookCreated>()
  const [error, setError] = useState<unknown>()
  const operator = can(session, 'operator')
  const items = hooks.data?.items ?? []

  const act = async (work: () => Promise<unknown>) => {
    try {
      await work()
      setError(undefined)
      await hooks.reload()
    } catch (e) {
      setError(e)
    }
  }

  const rotate = (w: WebhookView) => {
    if (!confirm(`New signing secret for ${webhookName(w)}? The old one keeps signing for 24 h.`))
      return
    void act(async () =>
      setSecret(await api.request<WebhookCreated>('POST', `/v1/webhooks/${w.id}/rotate-secret`)),
    )
  }

  const remove = (w: WebhookView) => {
    if (!confirm(`Delete webhook ${webhookName(w)} and its delivery log?`)) return
    void act(() => api.delete(`/v1/webhooks/${w.id}`))
  }

  return (
    <section>
      <div class="page-head">
        <h1 tabIndex={-1}>Webhooks</h1>
        {operator ? (
          <button type="button" class="primary" onClick={() => setOpen({})}>
            New webhook
          </button>
        ) : null}
      </div>
      {secret ? <NewSecret hook={secret} onDismiss={() => setSecret(undefined)} /> : null}
      <ErrorNote error={error ?? hooks.error} />
      {hooks.data && items.length === 0 ? (
        <p class="empty">No webhook endpoints: nothing is sent anywhere.</p>
      ) : null}
      {items.length > 0 ? (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Webhook endpoints</caption>
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col">Events</th>
                <th scope="col">Format</th>
                <th scope="col">State</th>
                <th scope="col" class="num">
                  Failures in a row
                </th>
                {operator ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {items.map((w) => (
                <tr key={w.id} data-webhook={webhookName(w)}>
                  <th scope="row">
                    <Link href={`/webhooks/${w.id}`}>{webhookName(w)}</Link>
                    {w.description ? (
                      <div class="muted" style={{ fontWeight: 'normal' }}>
                        {w.url}
                      </div>
                    ) : null}
                  </th>
                  <td>{w.events.join(', ')}</td>
                  <td>{w.format}</td>
                  <td>
                    <WebhookState webhook={w} />
                    {w.disabledReason ? <div class="muted">{w.disabledReason}</div> : null}
                  </td>
                  <td class="num">{w.consecutiveFailures}</td>
                  {operator ? (
                    <td class="actions">
                      <button type="button" onClick={() => setOpen({ webhook: w })}>
                        Edit<span class="sr-only"> {webhookName(w)}</span>
                      </button>
                      <button type="button" onClick={() => rotate(w)}>
                        Rotate secret<span class="sr-only"> of {webhookName(w)}</span>
                      </button>
                      <button type="button" class="danger" onClick={() => remove(w)}>
                        Delete<span class="sr-only"> {webhookName(w)}</span>
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
        <WebhookForm
          {...(open.webhook ? { webhook: open.webhook } : {})}
          onDone={(created) => {
            setOpen(null)
            if (created) setSecret(created)
            void hooks.reload()
          }}
        />
      ) : null}
    </section>
  )
}
