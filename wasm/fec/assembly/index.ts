// Reed-Solomon hot loop: out[r] = XOR over c of coef[r][c] * in[c] in GF(2^8), for every byte.
//
// The wrapper (wasm/fec/) owns the algebra (matrix construction and inversion) and hands this
// module nibble tables: for a coefficient a, lo[x] = a*x and hi[x] = a*(x << 4) for x < 16, so
// a*b = lo[b & 15] ^ hi[b >> 4]. With `i8x16.swizzle` one table lookup covers 16 bytes.
//
// Tables are laid out per row group, so that the inner loop reads them at constant offsets:
// rows are split greedily into groups of 4, then 2, then 1 (the wrapper uses the same split);
// a group of g rows starting at row r has its tables at tbl + r*cols*32, and inside it the
// entry for (column c, i-th row of the group) is 32 bytes (lo then hi) at c*g*32 + i*32.
// Each output vector is accumulated in a register across all columns, so every input byte is
// loaded once per group and every output byte stored once.

export function heapBase(): usize {
  return __heap_base
}

// out[r] = sum_c coef[r][c] * in[c], for `len` bytes. inPtrs / outPtrs are arrays of u32
// addresses of the `cols` input shards and `rows` output shards.
export function mulMatrix(
  tbl: usize,
  rows: i32,
  cols: i32,
  inPtrs: usize,
  outPtrs: usize,
  len: i32,
): void {
  const vecLen = len & ~15
  let r = 0
  while (rows - r >= 4) {
    group4(tbl + <usize>(r * cols * 32), cols, inPtrs, outPtrs + <usize>(r << 2), vecLen)
    scalarTail(
      tbl + <usize>(r * cols * 32),
      4,
      cols,
      inPtrs,
      outPtrs + <usize>(r << 2),
      vecLen,
      len,
    )
    r += 4
  }
  if (rows - r >= 2) {
    group2(tbl + <usize>(r * cols * 32), cols, inPtrs, outPtrs + <usize>(r << 2), vecLen)
    scalarTail(
      tbl + <usize>(r * cols * 32),
      2,
      cols,
      inPtrs,
      outPtrs + <usize>(r << 2),
      vecLen,
      len,
    )
    r += 2
  }
  if (rows - r >= 1) {
    group1(tbl + <usize>(r * cols * 32), cols, inPtrs, outPtrs + <usize>(r << 2), vecLen)
    scalarTail(
      tbl + <usize>(r * cols * 32),
      1,
      cols,
      inPtrs,
      outPtrs + <usize>(r << 2),
      vecLen,
      len,
    )
  }
}

// a*v for 16 bytes, given the low and high nibbles of v and the coefficient's tables at t.
// (Small enough that binaryen's -O3 inlines it.)
function mul16(t: usize, lo: v128, hi: v128): v128 {
  return v128.xor(i8x16.swizzle(v128.load(t), lo), i8x16.swizzle(v128.load(t, 16), hi))
}

function group4(t: usize, cols: i32, inPtrs: usize, outPtrs: usize, vecLen: i32): void {
  const o0 = <usize>load<u32>(outPtrs)
  const o1 = <usize>load<u32>(outPtrs, 4)
  const o2 = <usize>load<u32>(outPtrs, 8)
  const o3 = <usize>load<u32>(outPtrs, 12)
  const mask = i8x16.splat(15)
  let p: usize = 0
  // 32 bytes per step: each table vector loaded serves two input vectors.
  for (; p + 32 <= <usize>vecLen; p += 32) {
    let a0 = i8x16.splat(0)
    let a1 = a0
    let a2 = a0
    let a3 = a0
    let b0 = a0
    let b1 = a0
    let b2 = a0
    let b3 = a0
    let tc = t
    for (let c = 0; c < cols; c++) {
      const src = <usize>load<u32>(inPtrs + ((<usize>c) << 2)) + p
      const v = v128.load(src)
      const w = v128.load(src, 16)
      const vl = v128.and(v, mask)
      const vh = i8x16.shr_u(v, 4)
      const wl = v128.and(w, mask)
      const wh = i8x16.shr_u(w, 4)
      let tl = v128.load(tc)
      let th = v128.load(tc, 16)
      a0 = v128.xor(a0, v128.xor(i8x16.swizzle(tl, vl), i8x16.swizzle(th, vh)))
      b0 = v128.xor(b0, v128.xor(i8x16.swizzle(tl, wl), i8x16.swizzle(th, wh)))
      tl = v128.load(tc, 32)
      th = v128.load(tc, 48)
      a1 = v128.xor(a1, v128.xor(i8x16.swizzle(tl, vl), i8x16.swizzle(th, vh)))
      b1 = v128.xor(b1, v128.xor(i8x16.swizzle(tl, wl), i8x16.swizzle(th, wh)))
      tl = v128.load(tc, 64)
      th = v128.load(tc, 80)
      a2 = v128.xor(a2, v128.xor(i8x16.swizzle(tl, vl), i8x16.swizzle(th, vh)))
      b2 = v128.xor(b2, v128.xor(i8x16.swizzle(tl, wl), i8x16.swizzle(th, wh)))
      tl = v128.load(tc, 96)
      th = v128.load(tc, 112)
      a3 = v128.xor(a3, v128.xor(i8x16.swizzle(tl, vl), i8x16.swizzle(th, vh)))
      b3 = v128.xor(b3, v128.xor(i8x16.swizzle(tl, wl), i8x16.swizzle(th, wh)))
      tc += 128
    }
    v128.store(o0 + p, a0)
    v128.store(o0 + p, b0, 16)
    v128.store(o1 + p, a1)
    v128.store(o1 + p, b1, 16)
    v128.store(o2 + p, a2)
    v128.store(o2 + p, b2, 16)
    v128.store(o3 + p, a3)
    v128.store(o3 + p, b3, 16)
  }
  // A last 16-byte vector when vecLen is an odd number of vectors.
  for (; p < <usize>vecLen; p += 16) {
    let a0 = i8x16.splat(0)
    let a1 = a0
    let a2 = a0
    let a3 = a0
    let tc = t
    for (let c = 0; c < cols; c++) {
      const v = v128.load(<usize>load<u32>(inPtrs + ((<usize>c) << 2)) + p)
      const lo = v128.and(v, mask)
      const hi = i8x16.shr_u(v, 4)
      a0 = v128.xor(a0, mul16(tc, lo, hi))
      a1 = v128.xor(a1, mul16(tc + 32, lo, hi))
      a2 = v128.xor(a2, mul16(tc + 64, lo, hi))
      a3 = v128.xor(a3, mul16(tc + 96, lo, hi))
      tc += 128
    }
    v128.store(o0 + p, a0)
    v128.store(o1 + p, a1)
    v128.store(o2 + p, a2)
    v128.store(o3 + p, a3)
  }
}

function group2(t: usize, cols: i32, inPtrs: usize, outPtrs: usize, vecLen: i32): void {
  const o0 = <usize>load<u32>(outPtrs)
  const o1 = <usize>load<u32>(outPtrs, 4)
  const mask = i8x16.splat(15)
  for (let p: usize = 0; p < <usize>vecLen; p += 16) {
    let a0 = i8x16.splat(0)
    let a1 = a0
    let tc = t
    for (let c = 0; c < cols; c++) {
      const v = v128.load(<usize>load<u32>(inPtrs + ((<usize>c) << 2)) + p)
      const lo = v128.and(v, mask)
      const hi = i8x16.shr_u(v, 4)
      a0 = v128.xor(a0, mul16(tc, lo, hi))
      a1 = v128.xor(a1, mul16(tc + 32, lo, hi))
      tc += 64
    }
    v128.store(o0 + p, a0)
    v128.store(o1 + p, a1)
  }
}

function group1(t: usize, cols: i32, inPtrs: usize, outPtrs: usize, vecLen: i32): void {
  const o0 = <usize>load<u32>(outPtrs)
  const mask = i8x16.splat(15)
  for (let p: usize = 0; p < <usize>vecLen; p += 16) {
    let a0 = i8x16.splat(0)
    let tc = t
    for (let c = 0; c < cols; c++) {
      const v = v128.load(<usize>load<u32>(inPtrs + ((<usize>c) << 2)) + p)
      a0 = v128.xor(a0, mul16(tc, v128.and(v, mask), i8x16.shr_u(v, 4)))
      tc += 32
    }
    v128.store(o0 + p, a0)
  }
}

// The last len % 16 bytes of a group of g rows, one byte at a time with the same tables.
function scalarTail(
  t: usize,
  g: i32,
  cols: i32,
  inPtrs: usize,
  outPtrs: usize,
  from: i32,
  len: i32,
): void {
  for (let i = 0; i < g; i++) {
    const out = <usize>load<u32>(outPtrs + ((<usize>i) << 2))
    for (let p = from; p < len; p++) {
      let acc: u32 = 0
      for (let c = 0; c < cols; c++) {
        const b = <u32>load<u8>(<usize>load<u32>(inPtrs + ((<usize>c) << 2)) + <usize>p)
        const tc = t + <usize>((c * g + i) * 32)
        acc ^= <u32>load<u8>(tc + <usize>(b & 15)) ^ <u32>load<u8>(tc + 16 + <usize>(b >> 4))
      }
      store<u8>(out + <usize>p, <u8>acc)
    }
  }
}
