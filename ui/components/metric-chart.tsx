/**
 * One time-series chart (uPlot on a canvas) with a series per path. Colours come from the
 * active palette, so the chart is rebuilt when the theme changes; its width follows the
 * container.
 */
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { cssColor, useTheme } from '../theme'

export interface ChartSeries {
  label: string
  values: (number | null)[]
}

interface Props {
  title: string
  unit: string
  /** Seconds since the epoch, ascending. */
  times: number[]
  series: ChartSeries[]
  /** Fixed y range (e.g. MOS 1-5); otherwise from the data. */
  range?: [number, number]
}

const PALETTE = ['--series-1', '--series-2', '--series-3', '--series-4', '--series-5', '--series-6']

export function MetricChart({ title, unit, times, series, range }: Props) {
  const box = useRef<HTMLDivElement>(null)
  const [theme] = useTheme()

  useEffect(() => {
    const el = box.current
    if (!el || times.length === 0) return
    const text = cssColor('--text')
    const grid = cssColor('--border')
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } }
    const plot = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height: 220,
        scales: { x: { time: true }, ...(range ? { y: { range } } : {}) },
        axes: [axis, { ...axis, label: unit, size: 56 }],
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: cssColor(PALETTE[i % PALETTE.length]!),
            width: 2,
            spanGaps: false,
            value: (_u: uPlot, v: number | null) => (v === null ? '—' : `${round(v)} ${unit}`),
          })),
        ],
      },
      [times, ...series.map((s) => s.values)],
      el,
    )
    const resize = new ResizeObserver(() => {
      plot.setSize({ width: Math.max(280, el.clientWidth), height: 220 })
    })
    resize.observe(el)
    return () => {
      resize.disconnect()
      plot.destroy()
    }
  }, [times, series, unit, range, theme])

  return (
    <figure class="chart" aria-label={`${title} chart`}>
      <h3>{title}</h3>
      {times.length === 0 ? <p class="empty">No samples in this range.</p> : <div ref={box} />}
    </figure>
  )
}

const round = (v: number) => (Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 100) / 100)
