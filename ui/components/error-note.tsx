import { ApiError } from '../api/client'

/** A failed request, as the API explained it (problem detail), for the whole form or page. */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null
  const text =
    error instanceof ApiError
      ? `${error.title}: ${error.message}`
      : error instanceof Error
        ? error.message
        : String(error)
  return (
    <p class="error-note" role="alert">
      {text}
    </p>
  )
}
