import { useState } from 'preact/hooks'
import { usePoll } from '../api/poll'
import { can } from '../api/session'
import type { Page, Policy } from '../api/types'
import { ErrorNote } from '../components/error-note'
import { useSession } from '../session-context'
import { ActionBadges } from './policy-badges'
import { PolicyForm } from './policy-form'

/** "dscp 46 · udp · dst 10.0.0.0/8": a match in a line. */
export function describeMatch(match: Record<string, unknown>): string {
  const parts: string[] = []
  const names: Record<string, string> = {
    applications: 'app',
    protocols: '',
    ports: 'port',
    dscp: 'dscp',
    sourcePrefixes: 'src',
    destinationPrefixes: 'dst',
  }
  for (const [key, prefix] of Object.entries(names)) {
    const v = match[key]
    if (Array.isArray(v) && v.length) parts.push(`${prefix ? `${prefix} ` : ''}${v.join(', ')}`)
  }
  const labels = match['siteLabels'] as Record<string, string> | undefined
  if (labels && Object.keys(labels).length) {
    parts.push(
      `sites ${Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    )
  }
  return parts.join(' · ') || 'all traffic'
}

function describeAction(action: Record<string, unknown>): string {
  const parts = [String(action['preference'])]
  if (action['scorer']) parts.push(`scorer ${action['scorer']}`)
  const sla = action['sla'] as Record<string, number> | undefined
  if (sla) {
    if (sla['maxLatencyMs'] !== undefined) parts.push(`≤ ${sla['maxLatencyMs']} ms`)
    if (sla['maxJitterMs'] !== undefined) parts.push(`jitter ≤ ${sla['maxJitterMs']} ms`)
    if (sla['maxLossPct'] !== undefined) parts.push(`loss ≤ ${sla['maxLossPct']} %`)
  }
  if (action['balance']) parts.push(String(action['balance']))
  return parts.join(' · ')
}

type Open = { policy?: Policy } | null

/** Traffic policies in the order agents evaluate them (priority, lowest first). */
export function Policies() {
  const session = useSession()
  const { api } = session
  const policies = usePoll(() => api.get<Page<Policy>>('/v1/policies?limit=500'), [api])
  const [open, setOpen] = useState<Open>(null)
  const [error, setError] = useState<unknown>()
  const operator = can(session, 'operator')
  const items = [...(policies.data?.items ?? [])].sort((a, b) => a.priority - b.priority)
  const nextPriority = (items.at(-1)?.priority ?? 0) + 10

  const remove = async (policy: Policy) => {
    if (!confirm(`Delete policy ${policy.name}?`)) return
    try {
      await api.delete(`/v1/policies/${policy.id}`)
      await policies.reload()
    } catch (e) {
      setError(e)
    }
  }

  return (
    <section>
      <div class="page-head">
        <h1 tabIndex={-1}>Policies</h1>
        {operator ? (
          <button type="button" class="primary" onClick={() => setOpen({})}>
            New policy
          </button>
        ) : null}
      </div>
      <ErrorNote error={error ?? policies.error} />
      {policies.data && items.length === 0 ? (
        <p class="empty">No policies: all traffic takes the default class.</p>
      ) : null}
      {items.length > 0 ? (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Policies by priority</caption>
            <thead>
              <tr>
                <th scope="col" class="num">
                  Priority
                </th>
                <th scope="col">Name</th>
                <th scope="col">Match</th>
                <th scope="col">Action</th>
                {operator ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {items.map((p) => (
                <tr key={p.id} data-policy={p.name}>
                  <td class="num">{p.priority}</td>
                  <th scope="row">{p.name}</th>
                  <td>{describeMatch(p.match)}</td>
                  <td>
                    {describeAction(p.action)}
                    <ActionBadges action={p.action} />
                  </td>
                  {operator ? (
                    <td class="actions">
                      <button type="button" onClick={() => setOpen({ policy: p })}>
                        Edit<span class="sr-only"> {p.name}</span>
                      </button>
                      <button type="button" class="danger" onClick={() => remove(p)}>
                        Delete<span class="sr-only"> {p.name}</span>
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {open ? (
        <PolicyForm
          {...(open.policy ? { policy: open.policy } : {})}
          nextPriority={nextPriority}
          onDone={() => {
            setOpen(null)
            void policies.reload()
          }}
        />
      ) : null}
    </section>
  )
}
