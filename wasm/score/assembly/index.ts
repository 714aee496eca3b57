// Batch path scoring for the agent's decision engine: N paths x M traffic classes, best path per
// class. The formula (higher is better) is documented in wasm/score/score.ts and mirrored by the
// plain TypeScript reference in wasm/score/reference.ts; both evaluate the same IEEE operations in
// the same order (wasm has no fused multiply-add here), so results agree bit for bit.
//
// Memory layout, written by the wrapper (n2 = N rounded up to even, f64 unless noted):
//   metrics: 6 arrays of n2 values at m + k*n2*8 (latency, jitter, loss, bandwidth, cost, mos)
//   weights: M rows of 6 values in the same metric order
//   scratch: n2 bandwidth terms, n2 eligibility masks (i64: all ones = usable)
//   results: M i32 best path indices (-1: none usable), M f64 best scores,
//            and when wanted the M x n2 score matrix (row per class).
// Paths are scored two at a time with f64x2; each lane keeps its first maximum and the lanes are
// merged at the end preferring the lower index, so ties go to the lowest path index.

export function heapBase(): usize {
  return __heap_base
}

const BW_HALF: f64 = 100.0 // Mbit/s at which the bandwidth term reaches one half

export function scoreBatch(
  n: i32,
  m: i32,
  metrics: usize,
  weights: usize,
  scratch: usize,
  bestIdx: usize,
  bestScore: usize,
  scores: usize,
): void {
  const n2 = (n + 1) & ~1
  const stride = (<usize>n2) << 3
  const lat = metrics
  const jit = lat + stride
  const loss = jit + stride
  const bw = loss + stride
  const cost = bw + stride
  const mos = cost + stride
  const bwTerm = scratch
  const elig = scratch + stride

  // Per-path work shared by every class: the bandwidth term and whether the path is usable.
  for (let p = 0; p < n2; p++) {
    const o = (<usize>p) << 3
    if (p >= n) {
      store<f64>(bwTerm + o, 0)
      store<u64>(elig + o, 0)
      continue
    }
    const b = load<f64>(bw + o)
    const l = load<f64>(loss + o)
    const usable =
      isFinite(load<f64>(lat + o)) &&
      load<f64>(lat + o) >= 0 &&
      isFinite(load<f64>(jit + o)) &&
      l >= 0 &&
      l < 1 &&
      isFinite(b) &&
      b >= 0 &&
      isFinite(load<f64>(cost + o)) &&
      isFinite(load<f64>(mos + o))
    store<f64>(bwTerm + o, usable ? b / (b + BW_HALF) : 0)
    store<u64>(elig + o, usable ? <u64>-1 : 0)
  }

  for (let c = 0; c < m; c++) {
    const w = weights + <usize>c * 48
    const wl = f64x2.splat(load<f64>(w))
    const wj = f64x2.splat(load<f64>(w, 8))
    const wp = f64x2.splat(load<f64>(w, 16))
    const wb = f64x2.splat(load<f64>(w, 24))
    const wc = f64x2.splat(load<f64>(w, 32))
    const wm = f64x2.splat(load<f64>(w, 40))
    let best = f64x2.splat(-Infinity)
    let bestAt = i64x2(-1, -1)
    let at = i64x2(0, 1)
    const two = i64x2.splat(2)
    const row = scores + <usize>c * stride
    for (let p = 0; p < n2; p += 2) {
      const o = (<usize>p) << 3
      let s = f64x2.add(f64x2.mul(wb, v128.load(bwTerm + o)), f64x2.mul(wm, v128.load(mos + o)))
      s = f64x2.sub(s, f64x2.mul(wl, v128.load(lat + o)))
      s = f64x2.sub(s, f64x2.mul(wj, v128.load(jit + o)))
      s = f64x2.sub(s, f64x2.mul(wp, v128.load(loss + o)))
      s = f64x2.sub(s, f64x2.mul(wc, v128.load(cost + o)))
      if (scores != 0) v128.store(row + o, s)
      const better = v128.and(f64x2.gt(s, best), v128.load(elig + o))
      best = v128.bitselect(s, best, better)
      bestAt = v128.bitselect(at, bestAt, better)
      at = i64x2.add(at, two)
    }
    const s0 = f64x2.extract_lane(best, 0)
    const s1 = f64x2.extract_lane(best, 1)
    const i0 = <i32>i64x2.extract_lane(bestAt, 0)
    const i1 = <i32>i64x2.extract_lane(bestAt, 1)
    let idx = i0
    let sc = s0
    if (i1 >= 0 && (i0 < 0 || s1 > s0 || (s1 == s0 && i1 < i0))) {
      idx = i1
      sc = s1
    }
    store<i32>(bestIdx + ((<usize>c) << 2), idx)
    store<f64>(bestScore + ((<usize>c) << 3), idx >= 0 ? sc : -Infinity)
  }
}
