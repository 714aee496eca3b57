/**
 * In-process token buckets keyed by string: the rate limiter of the Node control plane (and
 * of a Worker without a Rate Limiting binding). Each key may spend `limit` requests at once
 * and earns them back at `limit` per `periodMs`, so the sustained rate is `limit` per period
 * and a quiet client can burst up to `limit`.
 *
 * Memory is bounded: at most `maxKeys` buckets are kept. A bucket that has refilled carries
 * no state (a new one would be the same), so those are dropped first; if a flood of fresh
 * keys still fills the map, the least recently used tenth goes. An attacker cycling keys thus
 * costs a fixed amount of memory and can at worst reset buckets, never grow the map.
 */
import type { Clock } from '../clock'

export interface RateDecision {
  ok: boolean
  /** When refused: whole seconds until one request is allowed again (>= 1). */
  retryAfterS: number
}

export interface TokenBucketOptions {
  /** Requests per period, and the burst a full bucket allows. */
  limit: number
  periodMs: number
  clock: Clock
  /** Buckets kept at most (default 10,000: well under 1 MB). */
  maxKeys?: number
}

interface Bucket {
  tokens: number
  /** When `tokens` was last brought up to date (epoch ms). */
  at: number
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>()
  private readonly perMs: number
  private readonly maxKeys: number

  constructor(private readonly options: TokenBucketOptions) {
    if (!(options.limit >= 1) || !(options.periodMs > 0)) {
      throw new Error(`a token bucket needs limit >= 1 and a period > 0, got ${options.limit}`)
    }
    this.perMs = options.limit / options.periodMs
    this.maxKeys = options.maxKeys ?? 10_000
  }

  /** Spends one token of `key` if it has one. */
  take(key: string): RateDecision {
    const bucket = this.current(key)
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      this.store(key, bucket)
      return { ok: true, retryAfterS: 0 }
    }
    this.store(key, bucket)
    return { ok: false, retryAfterS: this.secondsUntilOne(bucket) }
  }

  /** Whether `key` has a token now, spending nothing. */
  peek(key: string): RateDecision {
    const bucket = this.current(key)
    return bucket.tokens >= 1
      ? { ok: true, retryAfterS: 0 }
      : { ok: false, retryAfterS: this.secondsUntilOne(bucket) }
  }

  /** Buckets held (tests: the bound). */
  get size(): number {
    return this.buckets.size
  }

  private current(key: string): Bucket {
    const now = this.options.clock.now()
    const bucket = this.buckets.get(key)
    if (!bucket) return { tokens: this.options.limit, at: now }
    // A clock that steps back earns nothing (and takes nothing) for the step.
    const elapsed = Math.max(0, now - bucket.at)
    return { tokens: Math.min(this.options.limit, bucket.tokens + elapsed * this.perMs), at: now }
  }

  private store(key: string, bucket: Bucket): void {
    // Delete first so that the key moves to the end: Map order is then least recent first.
    this.buckets.delete(key)
    if (this.buckets.size >= this.maxKeys) this.evict(bucket.at)
    this.buckets.set(key, bucket)
  }

  private evict(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.perMs >= this.options.limit) {
        this.buckets.delete(key)
      }
    }
    // Still full of live buckets: drop the least recent tenth, so the next inserts are O(1).
    const target = Math.floor(this.maxKeys * 0.9)
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= target) break
      this.buckets.delete(key)
    }
  }

  private secondsUntilOne(bucket: Bucket): number {
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000))
  }
}
