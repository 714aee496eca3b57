/** Policy id -> name, so events and active paths name the traffic class, not its id. */
import { useMemo } from 'preact/hooks'
import { useSession } from '../session-context'
import { usePoll } from './poll'
import type { Page, Policy } from './types'

export function usePolicyNames(): Map<string, string> {
  const { api } = useSession()
  const policies = usePoll(() => api.get<Page<Policy>>('/v1/policies?limit=500'), [api], 60_000)
  return useMemo(
    () => new Map((policies.data?.items ?? []).map((p) => [p.id, p.name])),
    [policies.data],
  )
}
