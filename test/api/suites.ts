/** Every API suite, registered against one target (Node or workerd). */

import type { ApiTarget } from './harness'
import { agentsSuite } from './suite-agents'
import { alertingSuite } from './suite-alerting'
import { applicationsSuite } from './suite-applications'
import { authSuite } from './suite-auth'
import { modelsSuite } from './suite-models'
import { protocolSuite } from './suite-protocol'
import { scorersSuite } from './suite-scorers'
import { sitesSuite } from './suite-sites'
import { telemetrySuite } from './suite-telemetry'
import { trafficSuite } from './suite-traffic'
import { uplinksPoliciesSuite } from './suite-uplinks-policies'

export function apiSuites(target: () => ApiTarget) {
  authSuite(target)
  sitesSuite(target)
  uplinksPoliciesSuite(target)
  applicationsSuite(target)
  agentsSuite(target)
  telemetrySuite(target)
  trafficSuite(target)
  alertingSuite(target)
  modelsSuite(target)
  protocolSuite(target)
  scorersSuite(target)
}
