import { useState } from 'preact/hooks'
import { placeErrors } from '../api/field-errors'
import { usePoll } from '../api/poll'
import { can } from '../api/session'
import type { Page, Token, TokenCreated } from '../api/types'
import { CopyButton } from '../components/copy-button'
import { ErrorNote } from '../components/error-note'
import { Field } from '../components/field'
import { Time } from '../components/time'
import { useSession } from '../session-context'

/** API tokens of the org (admins): issue one (its secret is shown once) or revoke one. */
export function Tokens() {
  const session = useSession()
  const { api } = session
  const tokens = usePoll(
    () => (can(session, 'admin') ? api.get<Page<Token>>('/v1/tokens?limit=500') : never()),
    [api],
    15_000,
  )
  const [name, setName] = useState('')
  const [role, setRole] = useState('viewer')
  const [created, setCreated] = useState<TokenCreated>()
  const [error, setError] = useState<unknown>()
  const [listError, setListError] = useState<unknown>()
  const placed = placeErrors(error, ['name', 'role'])

  if (!can(session, 'admin')) {
    return (
      <section>
        <h1 tabIndex={-1}>API tokens</h1>
        <p>Only admins manage API tokens; this token is a {session.role}.</p>
      </section>
    )
  }

  const create = async (event: Event) => {
    event.preventDefault()
    if (!session.orgId) return
    try {
      setCreated(
        await api.post<TokenCreated>(`/v1/orgs/${session.orgId}/tokens`, {
          name: name.trim(),
          role,
        }),
      )
      setName('')
      setError(undefined)
      await tokens.reload()
    } catch (e) {
      setError(e)
    }
  }

  const revoke = async (token: Token) => {
    if (!confirm(`Revoke token ${token.name}? Anything using it stops working at once.`)) return
    try {
      await api.delete(`/v1/tokens/${token.id}`)
      await tokens.reload()
    } catch (e) {
      setListError(e)
    }
  }

  return (
    <section>
      <h1 tabIndex={-1}>API tokens</h1>
      <form class="panel" onSubmit={create} noValidate>
        <h2>Issue a token</h2>
        {placed.general.map((m) => (
          <p class="error-note" role="alert" key={m}>
            {m}
          </p>
        ))}
        <div class="grid-2">
          <Field id="token-name" label="Name" error={placed.byField['name']}>
            {(aria) => (
              <input {...aria} value={name} onInput={(e) => setName(e.currentTarget.value)} />
            )}
          </Field>
          <Field
            id="token-role"
            label="Role"
            error={placed.byField['role']}
            hint="viewer reads; operator changes the network; admin also manages tokens"
          >
            {(aria) => (
              <select {...aria} value={role} onChange={(e) => setRole(e.currentTarget.value)}>
                <option value="viewer">viewer</option>
                <option value="operator">operator</option>
                <option value="admin">admin</option>
              </select>
            )}
          </Field>
        </div>
        <button type="submit" class="primary">
          Issue token
        </button>
        {created ? (
          <div class="secret" role="status">
            <p>
              <strong>{created.name}</strong> ({created.role}): copy it now, it is never shown
              again.
            </p>
            <pre class="command" data-testid="new-token">
              {created.token}
            </pre>
            <div class="actions">
              <CopyButton text={created.token} label="Copy token" />
              <button type="button" onClick={() => setCreated(undefined)}>
                I have stored it
              </button>
            </div>
          </div>
        ) : null}
      </form>
      <ErrorNote error={listError ?? tokens.error} />
      <div class="table-wrap">
        <table>
          <caption class="sr-only">API tokens</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">State</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {(tokens.data?.items ?? []).map((t) => (
              <tr key={t.id} data-token={t.name}>
                <th scope="row">
                  {t.name}
                  {t.instanceAdmin ? <span class="muted"> (instance admin)</span> : null}
                </th>
                <td>{t.role}</td>
                <td>
                  <Time at={t.createdAt} />
                </td>
                <td>
                  <Time at={t.lastUsedAt} />
                </td>
                <td>{t.revokedAt ? 'revoked' : 'active'}</td>
                <td>
                  {t.revokedAt ? null : (
                    <button type="button" class="danger" onClick={() => revoke(t)}>
                      Revoke<span class="sr-only"> {t.name}</span>
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}

const never = (): Promise<Page<Token>> => new Promise(() => {})
