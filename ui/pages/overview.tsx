import { useMemo } from 'preact/hooks'
import { pathHealth } from '../api/paths'
import { usePolicyNames } from '../api/policy-names'
import { usePoll } from '../api/poll'
import { buildTopology } from '../api/topology'
import type { EventView, Page, Site, SitePaths } from '../api/types'
import { ErrorNote } from '../components/error-note'
import { EventList } from '../components/event-list'
import { Link } from '../components/link'
import { Status } from '../components/status'
import { TopologyMap } from '../components/topology-map'
import { useSession } from '../session-context'

/** Sites read for the map; past this many the map would need an org-wide paths endpoint. */
const MAP_SITES = 100

/** At a glance: which sites are up, how their paths are, and what happened lately. */
export function Overview() {
  const { api } = useSession()
  const state = usePoll(async () => {
    const sites = (await api.get<Page<Site>>(`/v1/sites?limit=${MAP_SITES}`)).items
    const reports = await Promise.all(
      sites.map((s) => api.get<SitePaths>(`/v1/sites/${s.id}/paths`)),
    )
    return { sites, reports }
  }, [api])
  const events = usePoll(() => api.get<Page<EventView>>('/v1/events?limit=10'), [api])
  const classNames = usePolicyNames()

  const topology = useMemo(
    () => (state.data ? buildTopology(state.data.sites, state.data.reports) : undefined),
    [state.data],
  )
  const names = useMemo(
    () => new Map((state.data?.sites ?? []).map((s) => [s.id, s.name])),
    [state.data],
  )
  const sites = state.data?.sites ?? []
  const online = sites.filter((s) => s.status === 'online').length
  const allPaths = (state.data?.reports ?? []).flatMap((r) => r.paths)
  const degraded = allPaths.filter((p) => pathHealth(p) !== 'up').length

  return (
    <section>
      <h1 tabIndex={-1}>Overview</h1>
      <ErrorNote error={state.error} />
      <div class="cards">
        <Card label="Sites online" value={state.data ? online : '…'} testId="count-online" />
        <Card
          label="Sites offline"
          value={state.data ? sites.length - online : '…'}
          testId="count-offline"
        />
        <Card label="Paths" value={state.data ? allPaths.length : '…'} testId="count-paths" />
        <Card
          label="Paths degraded or down"
          value={state.data ? degraded : '…'}
          testId="count-degraded"
        />
      </div>
      <div class="two-col">
        <section class="panel" aria-labelledby="map-title">
          <h2 id="map-title">Topology</h2>
          {topology && topology.nodes.length > 0 ? (
            <>
              <TopologyMap topology={topology} />
              <Legend />
            </>
          ) : (
            <p class="empty">{state.data ? 'No sites yet.' : 'Loading…'}</p>
          )}
        </section>
        <section class="panel" aria-labelledby="recent-title">
          <h2 id="recent-title">Recent events</h2>
          <ErrorNote error={events.error} />
          <EventList events={events.data?.items} siteNames={names} classNames={classNames} />
          <p>
            <Link href="/events">All events</Link>
          </p>
        </section>
      </div>
      {topology && topology.edges.length > 0 ? (
        <section class="panel" aria-labelledby="pairs-title">
          <h2 id="pairs-title">Site pairs</h2>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Between</th>
                  <th scope="col">Health</th>
                  <th scope="col" class="num">
                    Best latency ms
                  </th>
                  <th scope="col" class="num">
                    Paths down
                  </th>
                </tr>
              </thead>
              <tbody>
                {topology.edges.map((e) => (
                  <tr key={e.id}>
                    <th scope="row">
                      <Link href={`/sites/${e.source}`}>{names.get(e.source)}</Link> ↔{' '}
                      <Link href={`/sites/${e.target}`}>{names.get(e.target)}</Link>
                    </th>
                    <td>
                      <Status value={e.health} />
                    </td>
                    <td class="num">{e.rttMs === null ? '—' : e.rttMs.toFixed(1)}</td>
                    <td class="num">
                      {e.down} of {e.paths}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}
    </section>
  )
}

function Card({ label, value, testId }: { label: string; value: number | string; testId: string }) {
  return (
    <div class="card" data-testid={testId}>
      <div class="value">{value}</div>
      <div class="label">{label}</div>
    </div>
  )
}

function Legend() {
  const items = [
    ['--ok', 'up'],
    ['--warn', 'degraded'],
    ['--bad', 'down (dashed)'],
    ['--stale', 'stale (dashed)'],
  ] as const
  return (
    <div class="legend" aria-hidden="true">
      {items.map(([color, label]) => (
        <span key={label}>
          <span class="swatch" style={{ background: `var(${color})` }} />
          {label}
        </span>
      ))}
      <span>◆ hub · ● online · ○ offline</span>
    </div>
  )
}
