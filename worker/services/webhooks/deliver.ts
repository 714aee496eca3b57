/**
 * One delivery attempt: sign the stored payload for this attempt (a fresh timestamp, the
 * same webhook-id), send it through the transport, and classify the answer.
 */
import { eq } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { webhookEndpoints } from '../../db/schema'
import { classify, type Outcome } from './backoff'
import type { DeliveryRow } from './outbox'
import { signatureHeader } from './signing'
import { targetProblem } from './target'
import { MAX_RESPONSE_BYTES, TransportError, type WebhookTransport } from './transport'

export type EndpointRow = typeof webhookEndpoints.$inferSelect

/** The secrets that sign now: the current one, and the previous one during a rotation. */
export function signingSecrets(endpoint: EndpointRow, now: number): string[] {
  const secrets = [endpoint.secret]
  if (
    endpoint.previousSecret &&
    endpoint.previousSecretExpiresAt !== null &&
    endpoint.previousSecretExpiresAt > now
  ) {
    secrets.push(endpoint.previousSecret)
  }
  return secrets
}

export async function loadEndpoint(db: Db, id: string): Promise<EndpointRow | undefined> {
  const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id))
  return row
}

export interface AttemptOptions {
  transport: WebhookTransport
  allowPrivate: boolean
  now: number
  userAgent: string
  /** Monotonic milliseconds, for latency. */
  elapsed: () => number
  /** The whole exchange's deadline (transport.ts TIMEOUT_MS unless a test shortens it). */
  timeoutMs: number
}

export async function attempt(
  endpoint: EndpointRow,
  row: DeliveryRow,
  options: AttemptOptions,
): Promise<{ outcome: Outcome; latencyMs: number | null }> {
  const refused = targetProblem(endpoint.url, options.allowPrivate)
  if (refused) {
    return { outcome: { kind: 'final', status: null, error: `target ${refused}` }, latencyMs: null }
  }
  const timestamp = Math.floor(options.now / 1000)
  const headers = {
    'content-type': 'application/json',
    'user-agent': options.userAgent,
    'webhook-id': row.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatureHeader(
      signingSecrets(endpoint, options.now),
      row.id,
      timestamp,
      row.payload,
    ),
  }
  const started = options.elapsed()
  try {
    const response = await options.transport({
      url: endpoint.url,
      headers,
      body: row.payload,
      timeoutMs: options.timeoutMs,
      maxResponseBytes: MAX_RESPONSE_BYTES,
    })
    const latencyMs = Math.round(options.elapsed() - started)
    return { outcome: classify(response.status, response.retryAfter), latencyMs }
  } catch (error) {
    const latencyMs = Math.round(options.elapsed() - started)
    if (error instanceof TransportError && error.kind === 'blocked') {
      return { outcome: { kind: 'final', status: null, error: error.message }, latencyMs }
    }
    const message = error instanceof Error ? error.message : String(error)
    return {
      outcome: { kind: 'retry', status: null, error: message, retryAfter: null },
      latencyMs,
    }
  }
}
