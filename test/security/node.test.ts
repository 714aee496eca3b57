/** The security suite (test/security/suites.ts) against the app on Node. */
import { afterAll, beforeAll } from 'vitest'
import { type NodeTarget, startNodeTarget } from '../api/node-target'
import { securitySuites } from './suites'

let target: NodeTarget | undefined

beforeAll(async () => {
  target = await startNodeTarget()
})

afterAll(() => target?.close())

securitySuites(() => {
  if (!target) throw new Error('the Node target did not start')
  return target
})
