/** Small status words with a shape as well as a colour, so colour is never the only cue. */
const SYMBOL: Record<string, string> = {
  online: '●',
  up: '●',
  offline: '○',
  down: '✕',
  degraded: '▲',
  stale: '◌',
  info: 'i',
  warning: '▲',
  critical: '✕',
}

export function Status({ value, label = value }: { value: string; label?: string }) {
  return (
    <span class={`status status-${value}`}>
      <span aria-hidden="true">{SYMBOL[value] ?? '•'}</span> {label}
    </span>
  )
}
