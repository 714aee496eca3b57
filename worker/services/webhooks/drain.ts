/**
 * Drains the webhook outbox: a pool of up to POOL attempts in flight, at most PER_ORG per
 * org and one per endpoint (claimDue enforces both), refilled as each attempt finishes.
 * Batches that waited for their slowest member let one receiver that hangs for the whole
 * timeout hold back every other org's deliveries (docs/security.md, finding 4); here a hanging
 * attempt occupies one slot of its org's share and nothing else. Runtime-agnostic: Node's
 * dispatcher keeps one drain running and wakes it after writes; Workers run one per cron
 * tick and per write (`ctx.waitUntil`), and leases keep them from sending a row twice.
 */
import { SpanKind, type Tracer } from '@opentelemetry/api'
import type { Clock } from '../../clock'
import type { Db } from '../../db/client'
import type { Logger } from '../../logger'
import type { DeliveryResult } from '../../observability/metric-names'
import { withSpan } from '../../observability/tracing'
import type { RetentionConfig } from '../retention'
import { attempt, loadEndpoint } from './deliver'
import { recordEndpointDisabled } from './disabled-event'
import { cancelDelivery, claimDue, completeAttempt, type DeliveryRow } from './outbox'
import { TIMEOUT_MS, type WebhookTransport } from './transport'

/** Attempts in flight per drain. */
export const POOL = 16
/** Attempts in flight per org (across dispatchers, counted from live leases). */
export const PER_ORG = 4

export interface DispatchDeps {
  db: Db
  clock: Clock
  logger: Logger
  transport: WebhookTransport
  allowPrivate: boolean
  /** Identifies this dispatcher in leases. */
  owner: string
  userAgent?: string
  random?: () => number
  /** Overrides the 30 s retry base (tests). */
  retryBaseMs?: number
  /** Overrides the 10 s attempt timeout (tests). */
  timeoutMs?: number
  elapsed?: () => number
  /** Tracing on: one span per attempt (observability). */
  tracer?: Tracer
  /** Counts attempt results (patronus_webhook_deliveries_total). */
  onDelivery?: (result: DeliveryResult) => void
  /** How long events, finished deliveries and audit entries are kept (services/retention.ts). */
  retention?: RetentionConfig
}

/** drizzle wraps driver errors ("Failed query: ..."): log the driver's reason too. */
export const describeError = (error: unknown): string => {
  const cause = (error as { cause?: unknown })?.cause
  const text = error instanceof Error ? error.message.split('\n')[0]! : String(error)
  return cause ? `${text.slice(0, 120)}: ${describeError(cause)}` : text
}

async function attemptOne(deps: DispatchDeps, row: DeliveryRow): Promise<void> {
  if (!deps.tracer) return attemptOneUntraced(deps, row)
  return withSpan(
    deps.tracer,
    'webhook.deliver',
    () => attemptOneUntraced(deps, row),
    {
      'patronus.webhook.delivery_id': row.id,
      'patronus.webhook.endpoint_id': row.endpointId,
      'patronus.webhook.message_type': row.messageType,
      'patronus.webhook.attempt': row.attempts + 1,
    },
    SpanKind.CLIENT,
  )
}

async function attemptOneUntraced(deps: DispatchDeps, row: DeliveryRow): Promise<void> {
  const now = deps.clock.now()
  const endpoint = await loadEndpoint(deps.db, row.endpointId)
  if (!endpoint?.enabled) {
    await cancelDelivery(deps.db, row, deps.owner, now, 'endpoint disabled or deleted')
    deps.onDelivery?.('cancelled')
    return
  }
  const { outcome, latencyMs } = await attempt(endpoint, row, {
    transport: deps.transport,
    allowPrivate: deps.allowPrivate,
    now,
    userAgent: deps.userAgent ?? 'Patronus-Webhooks/1',
    elapsed: deps.elapsed ?? (() => performance.now()),
    timeoutMs: deps.timeoutMs ?? TIMEOUT_MS,
  })
  const result = await completeAttempt(
    deps.db,
    row,
    deps.owner,
    { outcome, startedAt: now, latencyMs },
    deps.clock.now(),
    (deps.random ?? Math.random)(),
    recordEndpointDisabled,
    deps.retryBaseMs,
  )
  deps.onDelivery?.(result)
  if (result === 'failed') {
    deps.logger.warn(
      {
        deliveryId: row.id,
        endpointId: row.endpointId,
        error: outcome.kind !== 'success' ? outcome.error : '',
      },
      'webhook delivery failed for good',
    )
  }
}

/**
 * One drain: claims what is due, keeps the pool full as attempts finish, and returns (with
 * the number of attempts made) once nothing is in flight and nothing more could be claimed.
 */
export class Drain {
  /** Something changed (an attempt finished, new rows were written): claim again. */
  private poked = false
  private notify: (() => void) | undefined
  private stopping = false

  constructor(
    private readonly deps: DispatchDeps,
    private readonly limits = { pool: POOL, perOrg: PER_ORG },
  ) {}

  /** New deliveries may be due (a write, a poll): look again without waiting. */
  wake(): void {
    this.poked = true
    this.notify?.()
  }

  /** Claims nothing more; run() resolves when the attempts in flight have finished. */
  stop(): void {
    this.stopping = true
    this.notify?.()
  }

  async run(): Promise<number> {
    const inFlight = new Set<Promise<void>>()
    let total = 0
    for (;;) {
      this.poked = false
      const room = this.limits.pool - inFlight.size
      if (room > 0 && !this.stopping) {
        let claimed: DeliveryRow[] = []
        try {
          claimed = await claimDue(
            this.deps.db,
            this.deps.owner,
            this.deps.clock.now(),
            room,
            this.limits.perOrg,
          )
        } catch (error) {
          // Attempts in flight still finish; with none, the caller logs the failure.
          if (inFlight.size === 0) throw error
          this.deps.logger.warn({ err: describeError(error) }, 'webhook claim failed')
        }
        total += claimed.length
        for (const row of claimed) {
          const running: Promise<void> = attemptOne(this.deps, row)
            .catch((error: unknown) =>
              this.deps.logger.error(
                { err: describeError(error), deliveryId: row.id },
                'webhook attempt crashed',
              ),
            )
            .finally(() => {
              inFlight.delete(running)
              this.wake()
            })
          inFlight.add(running)
        }
      }
      if (inFlight.size === 0 && (!this.poked || this.stopping)) return total
      if (!this.poked) {
        await new Promise<void>((resolve) => {
          this.notify = resolve
        })
        this.notify = undefined
      }
    }
  }
}

/** One drain to completion (Workers: cron and waitUntil; tests). Returns attempts made. */
export function drainOutbox(deps: DispatchDeps): Promise<number> {
  return new Drain(deps).run()
}
