/**
 * What createApp needs from its entry point. The Node and Workers entry points build
 * these differently (file vs HTTP database, pino vs console); the app never knows which.
 */
import type { Clock } from './clock'
import type { Db } from './db/client'
import type { Logger } from './logger'

export interface AppDeps {
  db: Db
  clock: Clock
  logger: Logger
  /**
   * Resolves once the database is migrated and bootstrapped. Node awaits it before
   * listening; Workers start it on the first request of an isolate. Requests to /v1 and
   * /readyz wait for it.
   */
  ready: () => Promise<void>
  version: string
}
