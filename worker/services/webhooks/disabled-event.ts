/**
 * The `webhook.disabled` event, recorded when the outbox disables an endpoint (the
 * OnEndpointDisabled hook drain.ts hands to completeAttempt). It lives here, not in
 * outbox.ts, because recording an event fills the outbox: the outbox importing the event
 * recorder would close an import cycle (services/events.ts explains the direction).
 */
import { recordEvent } from '../events'
import type { OnEndpointDisabled } from './outbox'

export const recordEndpointDisabled: OnEndpointDisabled = async (tx, endpoint, now) => {
  const { orgId, ...details } = endpoint
  await recordEvent(
    tx,
    { orgId, siteId: null, type: 'webhook.disabled', at: now, source: 'control-plane', details },
    now,
  )
}
