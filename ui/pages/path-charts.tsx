import { useMemo, useState } from 'preact/hooks'
import { query } from '../api/client'
import { alignSeries, type MetricName, pathLabel } from '../api/paths'
import { usePoll } from '../api/poll'
import type { PathMetrics } from '../api/types'
import { ErrorNote } from '../components/error-note'
import { MetricChart } from '../components/metric-chart'
import { useSession } from '../session-context'

export const RANGES = [
  { label: 'Last hour', seconds: 3600, step: 60 },
  { label: 'Last 6 hours', seconds: 6 * 3600, step: 300 },
  { label: 'Last 24 hours', seconds: 86_400, step: 900 },
  { label: 'Last 7 days', seconds: 7 * 86_400, step: 3600 },
]

const CHARTS: { metric: MetricName; title: string; unit: string; range?: [number, number] }[] = [
  { metric: 'rttMs', title: 'Latency', unit: 'ms' },
  { metric: 'jitterMs', title: 'Jitter', unit: 'ms' },
  { metric: 'lossPct', title: 'Loss', unit: '%' },
  { metric: 'mos', title: 'MOS', unit: 'MOS', range: [1, 5] },
]

interface Props {
  siteId: string
  peerNames: Map<string, string>
  localNames: Map<number, string>
}

/** Latency, jitter, loss and MOS per path over a chosen range, from the one-minute rollups. */
export function PathCharts({ siteId, peerNames, localNames }: Props) {
  const { api } = useSession()
  const [rangeIndex, setRangeIndex] = useState(0)
  const range = RANGES[rangeIndex]!
  const metrics = usePoll(
    () => {
      const to = Math.ceil(Date.now() / 60_000) * 60_000
      const from = to - range.seconds * 1000
      const q = query({
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        step: range.step,
      })
      return api.get<PathMetrics>(`/v1/sites/${siteId}/paths/metrics${q}`)
    },
    [api, siteId, rangeIndex],
    30_000,
  )

  const charts = useMemo(() => {
    const data = metrics.data
    if (!data) return []
    return CHARTS.map((chart) => {
      const { times, series } = alignSeries(data, chart.metric)
      return {
        ...chart,
        times,
        series: series.map((s) => ({
          label: pathLabel(s.path, peerNames.get(s.path.peerSiteId), localNames),
          values: s.values,
        })),
      }
    })
  }, [metrics.data, peerNames, localNames])

  return (
    <section class="panel" aria-labelledby="charts-title">
      <div class="page-head">
        <h2 id="charts-title">Path quality over time</h2>
        <label>
          <span class="sr-only">Time range</span>
          <select
            value={String(rangeIndex)}
            onChange={(e) => setRangeIndex(Number(e.currentTarget.value))}
            aria-label="Time range"
          >
            {RANGES.map((r, i) => (
              <option key={r.label} value={String(i)}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote error={metrics.error} />
      {metrics.data && metrics.data.series.length === 0 ? (
        <p class="empty">No telemetry for this site in this range.</p>
      ) : null}
      {metrics.data && metrics.data.series.length > 0 ? (
        <div class="charts">
          {charts.map((c) => (
            <MetricChart
              key={c.metric}
              title={c.title}
              unit={c.unit}
              times={c.times}
              series={c.series}
              {...(c.range ? { range: c.range } : {})}
            />
          ))}
        </div>
      ) : null}
    </section>
  )
}
