/** The signed-in session, for any component below the shell. */
import { createContext } from 'preact'
import { useContext } from 'preact/hooks'
import type { Session } from './api/session'

export const SessionContext = createContext<Session | null>(null)

export function useSession(): Session {
  const session = useContext(SessionContext)
  if (!session) throw new Error('useSession outside a signed-in shell')
  return session
}
