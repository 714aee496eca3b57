/**
 * The API suite on Node: the real app over an embedded libSQL file database in a
 * temporary directory, migrated and bootstrapped exactly as `npm start` does.
 */
import { afterAll, beforeAll } from 'vitest'
import { type NodeTarget, startNodeTarget } from './node-target'
import { apiSuites } from './suites'

let target: NodeTarget | undefined

beforeAll(async () => {
  target = await startNodeTarget()
})

afterAll(() => target?.close())

apiSuites(() => {
  if (!target) throw new Error('the Node target did not start')
  return target
})
