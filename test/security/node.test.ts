/**
 * The security suite (test/security/suites.ts) against the app on Node, behind the same
 * dashboard front (`withDashboard`, dist/ui) that `npm start` puts before the API, as
 * Workers put their static assets before the Worker: `/`, the dashboard's files and
 * /docs/assets/ are part of what an anonymous visitor reaches.
 */
import { afterAll, beforeAll } from 'vitest'
import { createApp } from '../../worker/app'
import { withDashboard } from '../../worker/server'
import { type NodeTarget, startNodeTarget } from '../api/node-target'
import { securitySuites } from './suites'

let target: NodeTarget | undefined
let site: ReturnType<typeof withDashboard> | undefined

beforeAll(async () => {
  target = await startNodeTarget()
  site = withDashboard(createApp(target.deps).fetch)
})

afterAll(() => target?.close())

securitySuites(() => {
  if (!target || !site) throw new Error('the Node target did not start')
  const serve = site
  return {
    ...target,
    fetch: async (path, init) => serve(new Request(`http://patronus.test${path}`, init)),
  }
})
