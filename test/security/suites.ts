/**
 * The security regression suite, one file per actor of the threat model in
 * docs/security.md. Each actor's suite runs over HTTP only, so it runs on Node
 * (test/security/node.test.ts) and inside workerd (test/workers/security.test.ts).
 * Checks that need Node internals (an injected clock, a process, a socket) sit in
 * `<actor>.node.test.ts` files beside these.
 */
import type { ApiTarget } from '../api/harness'
import { agentSecurity } from './agent'
import { anonymousSecurity } from './anonymous'
import { enrollmentTokenSecurity } from './enrollment-token'
import { instanceAdminSecurity } from './instance-admin'
import { operatorSecurity } from './operator'
import { viewerSecurity } from './viewer'

export function securitySuites(target: () => ApiTarget) {
  viewerSecurity(target)
  enrollmentTokenSecurity(target)
  anonymousSecurity(target)
  operatorSecurity(target)
  agentSecurity(target)
  instanceAdminSecurity(target)
}
