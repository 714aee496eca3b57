/**
 * A strict-enough parser of the Prometheus text exposition format (0.0.4): HELP and TYPE
 * lines, samples `name{label="value",...} number`. Throws on a line it cannot read.
 */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Exposition {
  types: Map<string, string>
  samples: Sample[]
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

export function parsePrometheusText(text: string): Exposition {
  const types = new Map<string, string>()
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice('# TYPE '.length).split(' ')
      if (!name || !type) throw new Error(`bad TYPE line: ${line}`)
      types.set(name, type)
      continue
    }
    if (line.startsWith('#')) continue
    const m = SAMPLE.exec(line)
    if (!m) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!
    const value = Number(m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : m[3])
    if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`bad value: ${line}`)
    samples.push({ name: m[1]!, labels, value })
  }
  return { types, samples }
}

/** `foo_bucket`, `foo_sum`, `foo_count` belong to the histogram `foo`. */
export function familyOf(sample: string, types: Map<string, string>): string {
  if (types.has(sample)) return sample
  const base = sample.replace(/_(bucket|sum|count)$/, '')
  return types.has(base) ? base : sample
}
