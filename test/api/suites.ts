/** Every API suite, registered against one target (Node or workerd). */

import type { ApiTarget } from './harness'
import { agentsSuite } from './suite-agents'
import { alertingSuite } from './suite-alerting'
import { authSuite } from './suite-auth'
import { modelsSuite } from './suite-models'
import { scorersSuite } from './suite-scorers'
import { sitesSuite } from './suite-sites'
import { telemetrySuite } from './suite-telemetry'
import { trafficSuite } from './suite-traffic'
import { uplinksPoliciesSuite } from './suite-uplinks-policies'

export function apiSuites(target: () => ApiTarget) {
  authSuite(target)
  sitesSuite(target)
  uplinksPoliciesSuite(target)
  agentsSuite(target)
  telemetrySuite(target)
  trafficSuite(target)
  alertingSuite(target)
  modelsSuite(target)
  scorersSuite(target)
}
