import { useState } from 'preact/hooks'
import { placeErrors } from '../api/field-errors'
import { formatLabels, parseLabels, splitList } from '../api/text-lists'
import type { Site } from '../api/types'
import { Dialog } from '../components/dialog'
import { Field } from '../components/field'
import { useSession } from '../session-context'

const FIELDS = ['name', 'region', 'role', 'prefixes', 'labels'] as const

/** Create a site, or edit one (PATCH with If-Match on the version the form opened with). */
export function SiteForm({ site, onDone }: { site?: Site; onDone: (saved?: Site) => void }) {
  const { api } = useSession()
  const [name, setName] = useState(site?.name ?? '')
  const [region, setRegion] = useState(site?.region ?? '')
  const [role, setRole] = useState<string>(site?.role ?? 'mesh')
  const [prefixes, setPrefixes] = useState((site?.prefixes ?? []).join('\n'))
  const [labels, setLabels] = useState(formatLabels(site?.labels))
  const [error, setError] = useState<unknown>()
  const [busy, setBusy] = useState(false)
  const placed = placeErrors(error, FIELDS)

  const submit = async (event: Event) => {
    event.preventDefault()
    setBusy(true)
    const body = {
      name: name.trim(),
      region: region.trim() || null,
      role,
      prefixes: splitList(prefixes),
      labels: parseLabels(labels),
    }
    try {
      const saved = site
        ? await api.patch<Site>(`/v1/sites/${site.id}`, body, site.version)
        : await api.post<Site>('/v1/sites', body)
      onDone(saved)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  return (
    <Dialog title={site ? `Edit site ${site.name}` : 'New site'} onClose={() => onDone()}>
      <form onSubmit={submit} noValidate>
        {placed.general.map((message) => (
          <p class="error-note" role="alert" key={message}>
            {message}
          </p>
        ))}
        <div class="grid-2">
          <Field id="site-name" label="Name" error={placed.byField['name']}>
            {(aria) => (
              <input {...aria} value={name} onInput={(e) => setName(e.currentTarget.value)} />
            )}
          </Field>
          <Field id="site-region" label="Region (optional)" error={placed.byField['region']}>
            {(aria) => (
              <input {...aria} value={region} onInput={(e) => setRegion(e.currentTarget.value)} />
            )}
          </Field>
        </div>
        <Field
          id="site-role"
          label="Role"
          error={placed.byField['role']}
          hint="mesh: peers with every site; hub / spoke for hub-and-spoke orgs"
        >
          {(aria) => (
            <select {...aria} value={role} onChange={(e) => setRole(e.currentTarget.value)}>
              <option value="mesh">mesh</option>
              <option value="hub">hub</option>
              <option value="spoke">spoke</option>
            </select>
          )}
        </Field>
        <Field
          id="site-prefixes"
          label="LAN prefixes"
          error={placed.byField['prefixes']}
          hint="CIDR prefixes behind this site, one per line or comma separated"
        >
          {(aria) => (
            <textarea
              {...aria}
              value={prefixes}
              onInput={(e) => setPrefixes(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field
          id="site-labels"
          label="Labels"
          error={placed.byField['labels']}
          hint="key=value, one per line (policies can match on them)"
        >
          {(aria) => (
            <textarea {...aria} value={labels} onInput={(e) => setLabels(e.currentTarget.value)} />
          )}
        </Field>
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {site ? 'Save' : 'Create site'}
          </button>
          <button type="button" onClick={() => onDone()}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  )
}
