/** "3 min ago" (or "in 2 min") with the exact time on hover and for assistive tech. */
export function ago(iso: string, now = Date.now()): string {
  const seconds = Math.round((now - Date.parse(iso)) / 1000)
  if (seconds <= -5) return `in ${span(-seconds)}`
  if (seconds < 5) return 'just now'
  return `${span(seconds)} ago`
}

/** "42 s", "3 min", "2 h", "5 d" (rounded down). */
export function span(seconds: number): string {
  if (seconds < 60) return `${seconds} s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h`
  return `${Math.floor(seconds / 86_400)} d`
}

export function Time({ at, never = 'never' }: { at: string | null | undefined; never?: string }) {
  if (!at) return <span class="muted">{never}</span>
  const exact = new Date(at).toLocaleString()
  return (
    <time dateTime={at} title={exact}>
      {ago(at)}
    </time>
  )
}
