/**
 * A small seeded PRNG (sfc32, seeded through splitmix32) for the trace generator: the same
 * seed gives the same traces on every machine and Node version, which Math.random cannot.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  uniform(lo: number, hi: number): number
  /** Log-uniform in [lo, hi): as many 5-10 ms paths as 50-100 ms ones. */
  logUniform(lo: number, hi: number): number
  int(lo: number, hiInclusive: number): number
  normal(): number
  chance(p: number): boolean
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
}

export function createRng(seed: number): Rng {
  const init = splitmix32(seed)
  let a = init()
  let b = init()
  let c = init()
  let d = init()
  const next = (): number => {
    a >>>= 0
    b >>>= 0
    c >>>= 0
    d >>>= 0
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) >>> 0
    return t / 4294967296
  }
  // Discard the first outputs: sfc32 mixes slowly from a fresh state.
  for (let i = 0; i < 12; i++) next()
  let spare: number | null = null
  return {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    logUniform: (lo, hi) => Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * next()),
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    normal() {
      if (spare !== null) {
        const s = spare
        spare = null
        return s
      }
      // Box-Muller; 1 - next() keeps log away from 0.
      const u = 1 - next()
      const v = next()
      const r = Math.sqrt(-2 * Math.log(u))
      spare = r * Math.sin(2 * Math.PI * v)
      return r * Math.cos(2 * Math.PI * v)
    },
    chance: (p) => next() < p,
  }
}
