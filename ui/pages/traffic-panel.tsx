import { useMemo, useState } from 'preact/hooks'
import { query } from '../api/client'
import { usePoll } from '../api/poll'
import {
  applicationRows,
  classRates,
  classRows,
  formatBytes,
  formatCount,
  type TrafficRow,
} from '../api/traffic'
import type { SiteTraffic } from '../api/types'
import { ErrorNote } from '../components/error-note'
import { MetricChart } from '../components/metric-chart'
import { useSession } from '../session-context'
import { RANGES } from './path-charts'

/** What the site's eBPF classifier saw per traffic class and per application, over a range. */
export function TrafficPanel({ siteId }: { siteId: string }) {
  const { api } = useSession()
  const [rangeIndex, setRangeIndex] = useState(0)
  const range = RANGES[rangeIndex]!
  const traffic = usePoll(
    () => {
      const to = Math.ceil(Date.now() / 60_000) * 60_000
      const from = to - range.seconds * 1000
      const q = query({
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        step: range.step,
      })
      return api.get<SiteTraffic>(`/v1/sites/${siteId}/traffic${q}`)
    },
    [api, siteId, rangeIndex],
    30_000,
  )
  const data = traffic.data
  const rates = useMemo(() => (data ? classRates(data) : undefined), [data])
  const empty = data && data.classes.length === 0 && data.applications.length === 0

  return (
    <section class="panel" aria-labelledby="traffic-title">
      <div class="page-head">
        <h2 id="traffic-title">Traffic</h2>
        <label>
          <span class="sr-only">Traffic time range</span>
          <select
            value={String(rangeIndex)}
            onChange={(e) => setRangeIndex(Number(e.currentTarget.value))}
          >
            {RANGES.map((r, i) => (
              <option key={r.label} value={String(i)}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote error={traffic.error} />
      {empty ? (
        <p class="empty">
          No classified traffic in this range (the agent reports it when it runs with
          --lan-interface).
        </p>
      ) : null}
      {data && !empty ? (
        <>
          <div class="two-col">
            <TrafficTable
              id="traffic-classes"
              title="By class"
              head="Class"
              rows={classRows(data)}
            />
            <TrafficTable
              id="traffic-applications"
              title="By application"
              head="Application"
              rows={applicationRows(data)}
            />
          </div>
          {rates && rates.series.length > 0 ? (
            <div class="charts">
              <MetricChart
                title="Rate by class"
                unit="Mbit/s"
                times={rates.times}
                series={rates.series}
              />
            </div>
          ) : null}
        </>
      ) : null}
    </section>
  )
}

interface TableProps {
  id: string
  title: string
  head: string
  rows: TrafficRow[]
}

function TrafficTable({ id, title, head, rows }: TableProps) {
  return (
    <section aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{title}</h3>
      {rows.length === 0 ? (
        <p class="empty">None in this range.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{head}</th>
                <th scope="col" class="num">
                  Packets
                </th>
                <th scope="col" class="num">
                  Bytes
                </th>
                <th scope="col" class="num">
                  Share
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.key} data-traffic={r.name}>
                  <th scope="row">{r.name}</th>
                  <td class="num">{formatCount(r.packets)}</td>
                  <td class="num" title={`${formatCount(r.bytes)} bytes`}>
                    {formatBytes(r.bytes)}
                  </td>
                  <td class="num">{r.sharePct.toFixed(1)} %</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
