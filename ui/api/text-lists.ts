/**
 * Lists typed as text: "a, b" or one per line. Values are passed to the API as typed (a
 * bad one comes back as a field error naming its index), so the server stays the judge.
 */
export const splitList = (text: string): string[] =>
  text
    .split(/[\n,]+/)
    .map((s) => s.trim())
    .filter(Boolean)

export const joinList = (items: readonly unknown[] | undefined): string =>
  (items ?? []).map(String).join(', ')

/** "443, 8000-8100" -> [443, "8000-8100"]: numbers stay numbers. */
export const numbersOrText = (text: string): (number | string)[] =>
  splitList(text).map((s) => (/^\d+$/.test(s) ? Number(s) : s))

/** "env=prod\nteam=net" -> { env: "prod", team: "net" } */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {}
  for (const line of splitList(text)) {
    const at = line.indexOf('=')
    if (at < 0) labels[line] = ''
    else labels[line.slice(0, at).trim()] = line.slice(at + 1).trim()
  }
  return labels
}

export const formatLabels = (labels: Record<string, string> | undefined): string =>
  Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')

/** An optional number field: "" -> undefined, otherwise the number (NaN goes to the API). */
export const optionalNumber = (text: string): number | undefined =>
  text.trim() === '' ? undefined : Number(text)
