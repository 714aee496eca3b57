/** "3 min ago" with the exact time on hover and for assistive tech. */
export function ago(iso: string, now = Date.now()): string {
  const seconds = Math.round((now - Date.parse(iso)) / 1000)
  if (seconds < 5) return 'just now'
  if (seconds < 60) return `${seconds} s ago`
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`
  return `${Math.floor(seconds / 86_400)} d ago`
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
