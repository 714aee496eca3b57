import { useMemo, useState } from 'preact/hooks'
import { query } from '../api/client'
import { usePolicyNames } from '../api/policy-names'
import { usePoll } from '../api/poll'
import { can } from '../api/session'
import type { EventView, Page, Site, SitePaths, Uplink } from '../api/types'
import { ErrorNote } from '../components/error-note'
import { EventList } from '../components/event-list'
import { Link } from '../components/link'
import { Status } from '../components/status'
import { Time } from '../components/time'
import { useSession } from '../session-context'
import { EnrollDialog } from './enroll-dialog'
import { PathCharts } from './path-charts'
import { PathsPanel } from './paths-panel'
import { TrafficPanel } from './traffic-panel'
import { UplinksPanel } from './uplinks-panel'

/**
 * One site: its paths now and over time, the active path per class, its classified traffic,
 * failovers, uplinks.
 */
export function SiteDetail({ siteId }: { siteId: string }) {
  const session = useSession()
  const { api } = session
  // The site itself is read with If-None-Match: an unchanged site is a 304.
  const site = usePoll(() => api.get<Site>(`/v1/sites/${siteId}`), [api, siteId])
  const paths = usePoll(() => api.get<SitePaths>(`/v1/sites/${siteId}/paths`), [api, siteId])
  const uplinks = usePoll(
    () => api.get<Page<Uplink>>(`/v1/sites/${siteId}/uplinks?limit=16`),
    [api, siteId],
    30_000,
  )
  const failovers = usePoll(
    () =>
      api.get<Page<EventView>>(`/v1/events${query({ siteId, type: 'path.failover', limit: 10 })}`),
    [api, siteId],
  )
  const [enrolling, setEnrolling] = useState(false)
  const classNames = usePolicyNames()

  const localNames = useMemo(
    () => new Map((uplinks.data?.items ?? []).map((u) => [u.slot, u.name])),
    [uplinks.data],
  )
  const peerNames = useMemo(
    () =>
      new Map((paths.data?.paths ?? []).map((p) => [p.peerSiteId, p.peerSiteName ?? p.peerSiteId])),
    [paths.data],
  )
  const siteNames = useMemo(
    () => new Map([[siteId, site.data?.name ?? siteId], ...peerNames]),
    [siteId, site.data, peerNames],
  )

  const s = site.data
  return (
    <section>
      <p>
        <Link href="/sites">← Sites</Link>
      </p>
      <div class="page-head">
        <h1 tabIndex={-1}>{s ? `Site ${s.name}` : 'Site'}</h1>
        {s && can(session, 'operator') ? (
          <button type="button" onClick={() => setEnrolling(true)}>
            Enroll agent
          </button>
        ) : null}
      </div>
      <ErrorNote error={site.error} />
      {s ? (
        <div class="cards">
          <div class="card">
            <div class="label">Status</div>
            <div class="value">
              {s.agentId ? (
                <Status value={s.status} />
              ) : (
                <Status value="stale" label="not enrolled" />
              )}
            </div>
          </div>
          <div class="card">
            <div class="label">Last seen</div>
            <div class="value" style={{ fontSize: '1.2rem' }}>
              <Time at={s.lastSeenAt} />
            </div>
          </div>
          <div class="card">
            <div class="label">Overlay address</div>
            <div class="value" style={{ fontSize: '1.2rem' }}>
              <code>{s.overlayAddress ?? '—'}</code>
            </div>
          </div>
          <div class="card">
            <div class="label">Prefixes · role</div>
            <div class="value" style={{ fontSize: '1.1rem' }}>
              <code>{s.prefixes.join(', ') || '—'}</code> · {s.role}
            </div>
          </div>
        </div>
      ) : null}
      <ErrorNote error={paths.error} />
      <PathsPanel paths={paths.data} localNames={localNames} />
      <PathCharts siteId={siteId} peerNames={peerNames} localNames={localNames} />
      <TrafficPanel siteId={siteId} />
      <section class="panel" aria-labelledby="failovers-title">
        <h2 id="failovers-title">Recent failovers</h2>
        <ErrorNote error={failovers.error} />
        <EventList
          events={failovers.data?.items}
          siteNames={siteNames}
          classNames={classNames}
          empty="No failovers recorded."
        />
      </section>
      <UplinksPanel
        siteId={siteId}
        uplinks={uplinks.data?.items}
        canEdit={can(session, 'operator')}
        onChange={() => void uplinks.reload()}
      />
      {enrolling && s ? <EnrollDialog site={s} onClose={() => setEnrolling(false)} /> : null}
    </section>
  )
}
