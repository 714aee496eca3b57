import { useState } from 'preact/hooks'
import { placeErrors } from '../api/field-errors'
import { MESSAGE_TYPES, type WebhookCreated, type WebhookView } from '../api/types'
import { Dialog } from '../components/dialog'
import { Field } from '../components/field'
import { useSession } from '../session-context'

/** Every field the API may name in an error. */
const FIELDS = ['url', 'description', 'events', 'format', 'enabled'] as const

interface Props {
  webhook?: WebhookView
  /** Called with the new endpoint (carrying its secret) after a create, nothing otherwise. */
  onDone: (created?: WebhookCreated) => void
}

/** Create or edit a webhook endpoint: target URL, event filter, body format, on/off. */
export function WebhookForm({ webhook, onDone }: Props) {
  const { api } = useSession()
  const [f, setF] = useState({
    url: webhook?.url ?? '',
    description: webhook?.description ?? '',
    all: webhook ? webhook.events.includes('*') : false,
    events: new Set<string>(webhook?.events.filter((e) => e !== '*') ?? ['alert.firing']),
    format: webhook?.format ?? 'json',
    enabled: webhook?.enabled ?? true,
  })
  const [error, setError] = useState<unknown>()
  const [busy, setBusy] = useState(false)
  const placed = placeErrors(error, FIELDS)
  const err = (field: (typeof FIELDS)[number]) => placed.byField[field]

  const submit = async (event: Event) => {
    event.preventDefault()
    setBusy(true)
    const body = {
      url: f.url.trim(),
      description: f.description.trim() || null,
      events: f.all ? ['*'] : [...f.events],
      format: f.format,
      enabled: f.enabled,
    }
    try {
      if (webhook) {
        await api.patch<WebhookView>(`/v1/webhooks/${webhook.id}`, body, webhook.version)
        onDone()
      } else {
        onDone(await api.post<WebhookCreated>('/v1/webhooks', body))
      }
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  const toggle = (type: string) => {
    const next = new Set(f.events)
    if (next.has(type)) next.delete(type)
    else next.add(type)
    setF({ ...f, events: next })
  }

  return (
    <Dialog
      title={webhook ? `Edit webhook ${webhook.description ?? webhook.url}` : 'New webhook'}
      onClose={() => onDone()}
    >
      <form onSubmit={submit} noValidate>
        {placed.general.map((message) => (
          <p class="error-note" role="alert" key={message}>
            {message}
          </p>
        ))}
        <Field
          id="webhook-url"
          label="URL"
          error={err('url')}
          hint="http(s) address that receives a signed POST per message"
        >
          {(aria) => (
            <input
              {...aria}
              type="url"
              value={f.url}
              onInput={(e) => setF({ ...f, url: e.currentTarget.value })}
            />
          )}
        </Field>
        <div class="grid-2">
          <Field id="webhook-description" label="Description" error={err('description')}>
            {(aria) => (
              <input
                {...aria}
                value={f.description}
                onInput={(e) => setF({ ...f, description: e.currentTarget.value })}
              />
            )}
          </Field>
          <Field
            id="webhook-format"
            label="Format"
            error={err('format')}
            hint="json: Standard Webhooks body; slack: a Slack incoming-webhook message"
          >
            {(aria) => (
              <select
                {...aria}
                value={f.format}
                onChange={(e) =>
                  setF({ ...f, format: e.currentTarget.value as WebhookView['format'] })
                }
              >
                <option value="json">json</option>
                <option value="slack">slack</option>
              </select>
            )}
          </Field>
        </div>
        <div class="field">
          <fieldset
            class="checks"
            aria-describedby={err('events') ? 'webhook-events-error' : undefined}
          >
            <legend>Events</legend>
            <label>
              <input
                type="checkbox"
                checked={f.all}
                onChange={(e) => setF({ ...f, all: e.currentTarget.checked })}
              />
              All events (*)
            </label>
            {MESSAGE_TYPES.map((t) => (
              <label key={t}>
                <input
                  type="checkbox"
                  disabled={f.all}
                  checked={f.all || f.events.has(t)}
                  onChange={() => toggle(t)}
                />
                {t}
              </label>
            ))}
          </fieldset>
          {err('events') ? (
            <p
              class="field-error"
              id="webhook-events-error"
              role="alert"
              data-field-error="webhook-events"
            >
              {err('events')}
            </p>
          ) : null}
        </div>
        <div class="checks">
          <label>
            <input
              type="checkbox"
              checked={f.enabled}
              onChange={(e) => setF({ ...f, enabled: e.currentTarget.checked })}
            />
            Enabled (a disabled endpoint queues nothing)
          </label>
        </div>
        {err('enabled') ? <p class="field-error">{err('enabled')}</p> : null}
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {webhook ? 'Save' : 'Create webhook'}
          </button>
          <button type="button" onClick={() => onDone()}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  )
}
