import { pathHealth, pathId, pathLabel } from '../api/paths'
import type { SitePaths } from '../api/types'
import { Status } from '../components/status'
import { Time } from '../components/time'

interface Props {
  paths: SitePaths | undefined
  localNames: Map<number, string>
}

const fixed = (v: number | null, digits = 1) => (v === null ? '—' : v.toFixed(digits))

/** The latest state of every path, and which path each traffic class is on and why. */
export function PathsPanel({ paths, localNames }: Props) {
  if (!paths) return <p class="muted">Loading paths…</p>
  const label = (p: SitePaths['paths'][number] | SitePaths['activePaths'][number]) =>
    pathLabel(p, 'peerSiteName' in p ? p.peerSiteName : nameOf(paths, p.peerSiteId), localNames)
  return (
    <div class="two-col">
      <section class="panel" aria-labelledby="paths-title">
        <h2 id="paths-title">Paths</h2>
        {paths.paths.length === 0 ? (
          <p class="empty">No path telemetry yet (the agent reports every 10 s).</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Path</th>
                  <th scope="col">Health</th>
                  <th scope="col" class="num">
                    Latency ms
                  </th>
                  <th scope="col" class="num">
                    Jitter ms
                  </th>
                  <th scope="col" class="num">
                    Loss %
                  </th>
                  <th scope="col" class="num">
                    MOS
                  </th>
                  <th scope="col">Reported</th>
                </tr>
              </thead>
              <tbody>
                {paths.paths.map((p) => (
                  <tr key={pathId(p)}>
                    <th scope="row">{label(p)}</th>
                    <td>
                      <Status value={pathHealth(p)} />
                    </td>
                    <td class="num">{fixed(p.rttMs)}</td>
                    <td class="num">{fixed(p.jitterMs)}</td>
                    <td class="num">{fixed(p.lossPct)}</td>
                    <td class="num">{fixed(p.mos, 2)}</td>
                    <td>
                      <Time at={p.at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section class="panel" aria-labelledby="active-title">
        <h2 id="active-title">Active path per class</h2>
        {paths.activePaths.length === 0 ? (
          <p class="empty">No class has been steered yet.</p>
        ) : (
          <ul class="event-list">
            {paths.activePaths.map((a) => (
              <li key={`${a.class}/${pathId(a)}`}>
                <strong>{a.className ?? a.class}</strong>
                <span>{label(a)}</span>
                <span class="muted">
                  {a.reason} · since <Time at={a.since} />
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  )
}

const nameOf = (paths: SitePaths, peerSiteId: string) =>
  paths.paths.find((p) => p.peerSiteId === peerSiteId)?.peerSiteName ?? null
