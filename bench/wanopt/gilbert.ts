/**
 * Gilbert-Elliott burst loss on a lab uplink. The kernel has no netem and nftables keeps no
 * per-flow state machine, so the two-state Markov chain runs here, in userspace, one step
 * every `stepMs`; only on a state change it rewrites the uplink's impairment chain (impair.ts)
 * through one long-lived `nft -i` process in the WAN namespace (a command costs well under a
 * millisecond there, against ~5 ms for a new `nft` process): in the good state the chain loses
 * `lossGoodPct` at random, in the bad state `lossBadPct` (numgen random). At 1,000 packets/s a
 * 5 ms step is 5 packets, so bursts are a few steps long, as GE bursts are a few packets long:
 * an approximation of the per-packet model at that granularity. The bad state's share is
 * pGoodBad / (pGoodBad + pBadGood), the mean burst 1 / pBadGood steps.
 */
import type { Lab } from '../../test/lab/harness'
import { dropRules, uplinkChain } from '../../test/lab/impair'

export interface GilbertElliottParams {
  stepMs: number
  /** Per step, good -> bad. */
  pGoodBad: number
  /** Per step, bad -> good. */
  pBadGood: number
  lossGoodPct: number
  lossBadPct: number
  seed: number
}

export const DEFAULT_GE: GilbertElliottParams = {
  stepMs: 5,
  pGoodBad: 0.02,
  pBadGood: 0.2,
  lossGoodPct: 0,
  lossBadPct: 50,
  seed: 2026,
}

/** Mean loss of the model, percent. */
export function geMeanLossPct(p: GilbertElliottParams): number {
  const bad = p.pGoodBad / (p.pGoodBad + p.pBadGood)
  return bad * p.lossBadPct + (1 - bad) * p.lossGoodPct
}

export class GilbertElliott {
  bad = false
  steps = 0
  badSteps = 0
  transitions = 0
  #timer: NodeJS.Timeout | undefined
  #nft: ReturnType<Lab['spawnIn']> | undefined
  #state: number

  constructor(
    readonly lab: Lab,
    readonly site: number,
    readonly slot: number,
    readonly params: GilbertElliottParams = DEFAULT_GE,
  ) {
    this.#state = params.seed >>> 0 || 1
  }

  /** xorshift32: the chain is the same in every run. */
  #random(): number {
    let x = this.#state
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.#state = x >>> 0
    return this.#state / 0x100000000
  }

  #apply(): void {
    const table = this.lab.names.nftTable
    const chain = uplinkChain(this.site, this.slot)
    const lossPct = this.bad ? this.params.lossBadPct : this.params.lossGoodPct
    this.#nft?.child.stdin?.write(dropRules(table, chain, { lossPct }))
  }

  start(): void {
    this.#nft = this.lab.spawnIn(this.lab.wanNs, 'nft ge', 'nft', ['-i'])
    // Nothing is read from it, but a full pipe would stall it.
    this.#nft.child.stdout?.resume()
    this.#apply()
    this.#timer = setInterval(() => {
      this.steps++
      const flip = this.#random() < (this.bad ? this.params.pBadGood : this.params.pGoodBad)
      if (flip) {
        this.bad = !this.bad
        this.transitions++
        this.#apply()
      }
      if (this.bad) this.badSteps++
    }, this.params.stepMs)
  }

  /** Stops the chain and leaves the uplink clean. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
    this.bad = false
    this.#apply()
    const nft = this.#nft
    this.#nft = undefined
    if (!nft) return
    nft.child.stdin?.end()
    await new Promise<void>((resolve) => {
      if (nft.child.exitCode !== null) return resolve()
      const t = setTimeout(() => resolve(), 2_000)
      nft.child.once('exit', () => {
        clearTimeout(t)
        resolve()
      })
    })
    if (nft.child.exitCode === null) await this.lab.stop(nft.pid)
    await this.lab.impair(this.site, this.slot, {})
  }
}
