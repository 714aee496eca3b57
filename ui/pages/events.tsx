import { useMemo, useState } from 'preact/hooks'
import { query } from '../api/client'
import { usePolicyNames } from '../api/policy-names'
import { usePoll } from '../api/poll'
import { EVENT_TYPES, type EventView, type Page, type Site } from '../api/types'
import { ErrorNote } from '../components/error-note'
import { summary } from '../components/event-list'
import { Link } from '../components/link'
import { Status } from '../components/status'
import { Time } from '../components/time'
import { navigate, useLocation } from '../router'
import { useSession } from '../session-context'

/** Every event, newest first, filtered by type and site (kept in the URL, so shareable). */
export function Events() {
  const { api } = useSession()
  const { search } = useLocation()
  const type = search.get('type') ?? ''
  const siteId = search.get('siteId') ?? ''
  const sites = usePoll(() => api.get<Page<Site>>('/v1/sites?limit=500'), [api], 60_000)
  const first = usePoll(
    () => api.get<Page<EventView>>(`/v1/events${query({ type, siteId, limit: 50 })}`),
    [api, type, siteId],
  )
  const [older, setOlder] = useState<{ key: string; items: EventView[]; cursor: string | null }>()
  const [error, setError] = useState<unknown>()
  const classNames = usePolicyNames()
  const key = `${type}|${siteId}`
  const more = older?.key === key ? older : undefined
  const cursor = more ? more.cursor : (first.data?.nextCursor ?? null)
  const names = useMemo(
    () => new Map((sites.data?.items ?? []).map((s) => [s.id, s.name])),
    [sites.data],
  )

  const filter = (next: { type?: string; siteId?: string }) =>
    navigate(`/events${query({ type, siteId, ...next })}`)

  const loadMore = async () => {
    if (!cursor) return
    try {
      const page = await api.get<Page<EventView>>(
        `/v1/events${query({ type, siteId, limit: 50, cursor })}`,
      )
      setOlder({ key, items: [...(more?.items ?? []), ...page.items], cursor: page.nextCursor })
    } catch (e) {
      setError(e)
    }
  }

  const items = [...(first.data?.items ?? []), ...(more?.items ?? [])]
  return (
    <section>
      <div class="page-head">
        <h1 tabIndex={-1}>Events</h1>
      </div>
      <form class="grid-2" onSubmit={(e) => e.preventDefault()} aria-label="Filter events">
        <div class="field">
          <label for="filter-type">Type</label>
          <select
            id="filter-type"
            value={type}
            onChange={(e) => filter({ type: e.currentTarget.value })}
          >
            <option value="">All types</option>
            {EVENT_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-site">Site</label>
          <select
            id="filter-site"
            value={siteId}
            onChange={(e) => filter({ siteId: e.currentTarget.value })}
          >
            <option value="">All sites</option>
            {(sites.data?.items ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
      </form>
      <ErrorNote error={error ?? first.error} />
      {first.data && items.length === 0 ? <p class="empty">No events match.</p> : null}
      {items.length > 0 ? (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Severity</th>
                <th scope="col">Type</th>
                <th scope="col">Site</th>
                <th scope="col">Source</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.id}>
                  <td>
                    <Time at={e.at} />
                  </td>
                  <td>
                    <Status value={e.severity} />
                  </td>
                  <td>
                    <code>{e.type}</code>
                  </td>
                  <td>
                    {e.siteId ? (
                      <Link href={`/sites/${e.siteId}`}>{names.get(e.siteId) ?? e.siteId}</Link>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>{e.source}</td>
                  <td class="muted">{summary(e, classNames)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {cursor ? (
        <p>
          <button type="button" onClick={loadMore}>
            Load older events
          </button>
        </p>
      ) : null}
    </section>
  )
}
