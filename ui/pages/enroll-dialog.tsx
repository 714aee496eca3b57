import { useEffect, useState } from 'preact/hooks'
import { enrollCommand } from '../api/enroll-command'
import { placeErrors } from '../api/field-errors'
import type { EnrollmentTokenCreated, Page, Site, Uplink } from '../api/types'
import { CopyButton } from '../components/copy-button'
import { Dialog } from '../components/dialog'
import { Field } from '../components/field'
import { useSession } from '../session-context'

const EXPIRY = [
  { seconds: 3600, label: '1 hour' },
  { seconds: 86_400, label: '1 day' },
  { seconds: 7 * 86_400, label: '7 days' },
  { seconds: 30 * 86_400, label: '30 days' },
]

/** Issues a one-time enrollment token and shows the command to run on the site, once. */
export function EnrollDialog({ site, onClose }: { site: Site; onClose: () => void }) {
  const { api } = useSession()
  const [expires, setExpires] = useState(86_400)
  const [maxUses, setMaxUses] = useState('1')
  const [uplinks, setUplinks] = useState<Uplink[]>([])
  const [created, setCreated] = useState<EnrollmentTokenCreated>()
  const [error, setError] = useState<unknown>()
  const placed = placeErrors(error, ['expiresInSeconds', 'maxUses'])

  useEffect(() => {
    api
      .get<Page<Uplink>>(`/v1/sites/${site.id}/uplinks?limit=16`)
      .then((page) => setUplinks(page.items))
      .catch(setError)
  }, [api, site.id])

  const submit = async (event: Event) => {
    event.preventDefault()
    try {
      setCreated(
        await api.post<EnrollmentTokenCreated>(`/v1/sites/${site.id}/enrollment-tokens`, {
          expiresInSeconds: expires,
          maxUses: Number(maxUses),
        }),
      )
    } catch (e) {
      setError(e)
    }
  }

  const command = created ? enrollCommand(location.origin, created.token, uplinks) : ''

  return (
    <Dialog title={`Enroll an agent at ${site.name}`} onClose={onClose}>
      {created ? (
        <div>
          <p>
            Run this on the site as root. The token is shown <strong>once</strong>; it expires{' '}
            {new Date(created.expiresAt).toLocaleString()} and allows {created.maxUses} enrollment
            {created.maxUses === 1 ? '' : 's'}.
          </p>
          <pre class="command" data-testid="enroll-command">
            {command}
          </pre>
          <div class="actions">
            <CopyButton text={command} label="Copy command" />
            <button type="button" onClick={onClose}>
              Done
            </button>
          </div>
          {uplinks.length === 0 ? (
            <p class="muted">
              This site has no uplinks yet: replace <code>wan0=eth0</code> with its WAN interfaces
              (NAME=IFACE[,endpoint=HOST:PORT], one --uplink each).
            </p>
          ) : null}
        </div>
      ) : (
        <form onSubmit={submit} noValidate>
          {placed.general.map((m) => (
            <p class="error-note" role="alert" key={m}>
              {m}
            </p>
          ))}
          <div class="grid-2">
            <Field
              id="enroll-expires"
              label="Expires after"
              error={placed.byField['expiresInSeconds']}
            >
              {(aria) => (
                <select
                  {...aria}
                  value={String(expires)}
                  onChange={(e) => setExpires(Number(e.currentTarget.value))}
                >
                  {EXPIRY.map((x) => (
                    <option key={x.seconds} value={String(x.seconds)}>
                      {x.label}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field id="enroll-uses" label="Uses" error={placed.byField['maxUses']}>
              {(aria) => (
                <input
                  {...aria}
                  type="number"
                  min={1}
                  value={maxUses}
                  onInput={(e) => setMaxUses(e.currentTarget.value)}
                />
              )}
            </Field>
          </div>
          <div class="actions">
            <button type="submit" class="primary">
              Create enrollment token
            </button>
            <button type="button" onClick={onClose}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </Dialog>
  )
}
