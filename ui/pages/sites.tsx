import { useState } from 'preact/hooks'
import { usePoll } from '../api/poll'
import { can } from '../api/session'
import type { Page, Site } from '../api/types'
import { ErrorNote } from '../components/error-note'
import { Link } from '../components/link'
import { Status } from '../components/status'
import { Time } from '../components/time'
import { useSession } from '../session-context'
import { EnrollDialog } from './enroll-dialog'
import { SiteForm } from './site-form'

type Open = { kind: 'new' } | { kind: 'edit' | 'enroll'; site: Site } | null

/** Every site with its status and last contact; create, edit, delete, enroll. */
export function Sites() {
  const session = useSession()
  const { api } = session
  const sites = usePoll(() => api.get<Page<Site>>('/v1/sites?limit=500'), [api])
  const [open, setOpen] = useState<Open>(null)
  const [error, setError] = useState<unknown>()
  const operator = can(session, 'operator')

  const remove = async (site: Site) => {
    if (!confirm(`Delete site ${site.name}? Its agent stops receiving configuration.`)) return
    try {
      await api.delete(`/v1/sites/${site.id}`)
      await sites.reload()
    } catch (e) {
      setError(e)
    }
  }
  const closed = () => {
    setOpen(null)
    void sites.reload()
  }

  const items = sites.data?.items ?? []
  return (
    <section>
      <div class="page-head">
        <h1 tabIndex={-1}>Sites</h1>
        {operator ? (
          <button type="button" class="primary" onClick={() => setOpen({ kind: 'new' })}>
            New site
          </button>
        ) : null}
      </div>
      <ErrorNote error={error ?? sites.error} />
      {sites.data && items.length === 0 ? (
        <p class="empty">No sites yet.{operator ? ' Create one, then enroll its agent.' : ''}</p>
      ) : null}
      {items.length > 0 ? (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Sites</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Last seen</th>
                <th scope="col">Role</th>
                <th scope="col">Region</th>
                <th scope="col">Overlay</th>
                <th scope="col">Prefixes</th>
                {operator ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {items.map((site) => (
                <tr key={site.id} data-site={site.name}>
                  <th scope="row">
                    <Link href={`/sites/${site.id}`}>{site.name}</Link>
                  </th>
                  <td>
                    {site.agentId ? (
                      <Status value={site.status} />
                    ) : (
                      <Status value="stale" label="not enrolled" />
                    )}
                  </td>
                  <td>
                    <Time at={site.lastSeenAt} />
                  </td>
                  <td>{site.role}</td>
                  <td>{site.region ?? <span class="muted">—</span>}</td>
                  <td>
                    <code>{site.overlayAddress ?? '—'}</code>
                  </td>
                  <td>
                    <code>{site.prefixes.join(', ') || '—'}</code>
                  </td>
                  {operator ? (
                    <td class="actions">
                      <button type="button" onClick={() => setOpen({ kind: 'enroll', site })}>
                        Enroll agent<span class="sr-only"> for {site.name}</span>
                      </button>
                      <button type="button" onClick={() => setOpen({ kind: 'edit', site })}>
                        Edit<span class="sr-only"> {site.name}</span>
                      </button>
                      <button type="button" class="danger" onClick={() => remove(site)}>
                        Delete<span class="sr-only"> {site.name}</span>
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {open?.kind === 'new' ? <SiteForm onDone={closed} /> : null}
      {open?.kind === 'edit' ? <SiteForm site={open.site} onDone={closed} /> : null}
      {open?.kind === 'enroll' ? <EnrollDialog site={open.site} onClose={closed} /> : null}
    </section>
  )
}
