/**
 * Drains the outbox: claims due deliveries and attempts them a few at a time. Runtime-agnostic:
 * Node runs it in-process (NodeDispatcher: a short poll plus kicks after writes), Workers
 * from the cron trigger and, for the first attempt right away, from `ctx.waitUntil`.
 */
import { SpanKind, type Tracer } from '@opentelemetry/api'
import type { Clock } from '../../clock'
import type { Db } from '../../db/client'
import type { Logger } from '../../logger'
import type { DeliveryResult } from '../../observability/metric-names'
import { withSpan } from '../../observability/tracing'
import { evaluateAlerts } from '../alerts/periodic'
import { applyRetention, type RetentionConfig } from '../retention'
import { attempt, loadEndpoint } from './deliver'
import { cancelDelivery, claimDue, completeAttempt, type DeliveryRow } from './outbox'
import type { WebhookTransport } from './transport'

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

const BATCH = 16
const CONCURRENCY = 4

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
  })
  const result = await completeAttempt(
    deps.db,
    row,
    deps.owner,
    { outcome, startedAt: now, latencyMs },
    deps.clock.now(),
    (deps.random ?? Math.random)(),
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

/** One pass over every due delivery (in batches). Returns attempts made. */
export async function drainOutbox(deps: DispatchDeps): Promise<number> {
  let total = 0
  for (;;) {
    const claimed = await claimDue(deps.db, deps.owner, deps.clock.now(), BATCH)
    if (claimed.length === 0) return total
    total += claimed.length
    const queue = [...claimed]
    const workers = Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
      for (let row = queue.shift(); row; row = queue.shift()) {
        await attemptOne(deps, row).catch((error: unknown) =>
          deps.logger.error(
            { err: describeError(error), deliveryId: row?.id },
            'webhook attempt crashed',
          ),
        )
      }
    })
    await Promise.all(workers)
    if (claimed.length < BATCH) return total
  }
}

/** The periodic pass: alert evaluation (thresholds, auto-resolve, repeats), then a drain. */
export async function periodicPass(deps: DispatchDeps): Promise<void> {
  await evaluateAlerts({ db: deps.db, clock: deps.clock })
  await applyRetention(deps.db, deps.clock.now(), deps.retention)
  await drainOutbox(deps)
}

export interface NodeDispatcherOptions {
  /** How often due retries are looked for (default 1 s). */
  pollMs?: number
  /** How often alert rules are evaluated (default 15 s). */
  evaluateMs?: number
}

/** Node: one drain at a time; a kick during a drain runs another right after it. */
export class NodeDispatcher {
  private running: Promise<void> | undefined
  private again = false
  private timers: ReturnType<typeof setInterval>[] = []
  private evaluating: Promise<void> | undefined
  private stopped = false

  constructor(
    private readonly deps: DispatchDeps,
    private readonly options: NodeDispatcherOptions = {},
  ) {}

  start(): void {
    const poll = setInterval(() => this.kick(), this.options.pollMs ?? 1000)
    const evaluate = setInterval(() => this.evaluate(), this.options.evaluateMs ?? 15_000)
    poll.unref()
    evaluate.unref()
    this.timers.push(poll, evaluate)
    this.kick()
  }

  kick(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    this.running = (async () => {
      do {
        this.again = false
        await drainOutbox(this.deps).catch((error: unknown) =>
          this.deps.logger.warn({ err: describeError(error) }, 'webhook drain failed'),
        )
      } while (this.again && !this.stopped)
    })().finally(() => {
      this.running = undefined
    })
  }

  evaluate(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    this.evaluating ??= (async () => {
      await evaluateAlerts({ db: this.deps.db, clock: this.deps.clock })
      await applyRetention(this.deps.db, this.deps.clock.now(), this.deps.retention)
    })()
      .catch((error: unknown) =>
        this.deps.logger.warn({ err: describeError(error) }, 'alert evaluation failed'),
      )
      .finally(() => {
        this.evaluating = undefined
        this.kick()
      })
    return this.evaluating
  }

  /** Stops the timers and waits for the attempt in flight (at most the 10 s timeout). */
  async stop(): Promise<void> {
    this.stopped = true
    for (const t of this.timers) clearInterval(t)
    this.timers = []
    await this.running
    await this.evaluating
  }
}
