import { useState } from 'preact/hooks'
import { placeErrors } from '../api/field-errors'
import type { AlertView } from '../api/types'
import { Dialog } from '../components/dialog'
import { Field } from '../components/field'
import { useSession } from '../session-context'

const DURATIONS = [
  { hours: 1, label: '1 hour' },
  { hours: 4, label: '4 hours' },
  { hours: 24, label: '1 day' },
  { hours: 168, label: '7 days' },
]

/** Mutes an alert's rule (at its site, when it has one) for a while, with a reason. */
export function SilenceDialog({ alert, onDone }: { alert: AlertView; onDone: () => void }) {
  const { api } = useSession()
  const [hours, setHours] = useState(4)
  const [comment, setComment] = useState('')
  const [error, setError] = useState<unknown>()
  const placed = placeErrors(error, ['comment', 'endsAt'])

  const submit = async (event: Event) => {
    event.preventDefault()
    try {
      await api.post('/v1/silences', {
        ruleId: alert.ruleId,
        ...(alert.siteId ? { siteIds: [alert.siteId] } : {}),
        comment: comment.trim(),
        endsAt: new Date(Date.now() + hours * 3_600_000).toISOString(),
      })
      onDone()
    } catch (e) {
      setError(e)
    }
  }

  return (
    <Dialog title={`Silence ${alert.ruleName ?? 'alert'}`} onClose={onDone}>
      <form onSubmit={submit} noValidate>
        <p class="muted">
          New alerts of this rule{alert.siteId ? ' at this site' : ''} are recorded but not notified
          until the silence ends.
        </p>
        {placed.general.map((m) => (
          <p class="error-note" role="alert" key={m}>
            {m}
          </p>
        ))}
        <Field id="silence-for" label="For" error={placed.byField['endsAt']}>
          {(aria) => (
            <select
              {...aria}
              value={String(hours)}
              onChange={(e) => setHours(Number(e.currentTarget.value))}
            >
              {DURATIONS.map((d) => (
                <option key={d.hours} value={String(d.hours)}>
                  {d.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id="silence-comment" label="Reason" error={placed.byField['comment']}>
          {(aria) => (
            <input {...aria} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
          )}
        </Field>
        <div class="actions">
          <button type="submit" class="primary">
            Silence
          </button>
          <button type="button" onClick={onDone}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  )
}
