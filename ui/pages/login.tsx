import { useState } from 'preact/hooks'
import { ApiError } from '../api/client'
import { openSession, type Session } from '../api/session'
import { Field } from '../components/field'
import { ThemeToggle } from '../components/theme-toggle'

/** Sign in with an API token (pat_...); it stays in this tab's sessionStorage only. */
interface Props {
  onSession: (session: Session) => void
  /** What a later 401 does (the token was revoked meanwhile): back to this page. */
  onUnauthenticated: () => void
}

export function Login({ onSession, onUnauthenticated }: Props) {
  const [token, setToken] = useState('')
  const [error, setError] = useState<string | undefined>()
  const [busy, setBusy] = useState(false)

  const submit = async (event: Event) => {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      onSession(await openSession(token.trim(), onUnauthenticated))
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 401
          ? `This token was refused: ${e.message}`
          : e instanceof Error
            ? e.message
            : String(e),
      )
    } finally {
      setBusy(false)
    }
  }

  return (
    <main id="main" class="login">
      <div class="login-card">
        <h1>
          <span class="logo" aria-hidden="true">
            ◈
          </span>{' '}
          Patronus
        </h1>
        <p class="muted">Sign in to the SD-WAN dashboard with an API token.</p>
        <form onSubmit={submit}>
          <Field
            id="token"
            label="API token"
            error={error}
            hint="Printed once at first start, or issued by an admin. Kept only in this tab."
          >
            {(aria) => (
              <input
                {...aria}
                type="password"
                autoComplete="off"
                spellcheck={false}
                required
                value={token}
                onInput={(e) => setToken(e.currentTarget.value)}
              />
            )}
          </Field>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <div class="login-foot">
          <ThemeToggle />
        </div>
      </div>
    </main>
  )
}
