/**
 * What the app needs to know about webhook delivery on its runtime: whether private
 * targets are allowed, and how to get a first attempt going right after a write (Node:
 * kick the in-process dispatcher; Workers: drain in `ctx.waitUntil` with this transport).
 */
import type { WebhookTransport } from './transport'

export interface WebhookRuntime {
  allowPrivate: boolean
  /** Node: wakes the in-process dispatcher. */
  kick?: () => void
  /** Workers: the transport a waitUntil drain uses. */
  transport?: WebhookTransport
}
