/**
 * The signed-in session: the API token lives in sessionStorage (gone when the tab closes),
 * and the role is found by asking what the token may read, since the API has no "who am
 * I" endpoint: the token list answers admins only, the audit log operators and admins.
 */
import { ApiClient, ApiError } from './client'
import type { Page, Role, Token } from './types'

const KEY = 'patronus.token'

export interface Session {
  token: string
  role: Role
  /** The token's org (known to admins, who need it to issue tokens). */
  orgId: string | null
  api: ApiClient
}

export const storedToken = (): string | null => sessionStorage.getItem(KEY)
export const forgetToken = () => sessionStorage.removeItem(KEY)

async function readIfAllowed<T>(api: ApiClient, path: string): Promise<T | null> {
  try {
    return await api.get<T>(path)
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) return null
    throw error
  }
}

/** Checks the token against the API; throws ApiError (401) when it is not valid. */
export async function openSession(token: string, onUnauthenticated: () => void): Promise<Session> {
  const api = new ApiClient(token, onUnauthenticated)
  await api.get('/v1/orgs?limit=1') // any valid token may; a bad one is a 401 here
  const tokens = await readIfAllowed<Page<Token>>(api, '/v1/tokens?limit=1')
  const role: Role = tokens
    ? 'admin'
    : (await readIfAllowed(api, '/v1/audit-log?limit=1'))
      ? 'operator'
      : 'viewer'
  sessionStorage.setItem(KEY, token)
  return { token, role, orgId: tokens?.items[0]?.orgId ?? null, api }
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 }
export const can = (session: Session, role: Role) => RANK[session.role] >= RANK[role]
