// LZ4 block compressor (lz4 Block Format Description): a greedy single-pass match finder over a
// hash table of recent positions, following the reference "fast" compressor at acceleration 1
// so that our output size tracks `lz4 -1` closely. Parsing rules from the format description
// ("End of block conditions"): the last match starts at least MFLIMIT = 12 bytes before the end,
// the last LASTLITERALS = 5 bytes are always literals, and a block shorter than 13 bytes is a
// single run of literals. Matches are at least MINMATCH = 4 bytes, offsets at most 65535.
//
// The caller (wasm/lz4/) guarantees: dst has room for compressBound(srcLen) plus 64 bytes, and
// 64 readable bytes follow src (16-byte vector copies may over-read and over-write slightly).

const MINMATCH: u32 = 4
const MFLIMIT: usize = 12
const LASTLITERALS: usize = 5
const MIN_LENGTH: i32 = 13
const MAX_DISTANCE: u32 = 65535
const SKIP_TRIGGER: u32 = 6
// Inputs below 64 KiB + 11 bytes cannot produce offsets over 65535: like the reference we use a
// 4-byte hash with one more bit of table there, and a 5-byte hash for larger inputs.
const LIMIT_64K: i32 = 65536 + 11

// The hash table: 8192 u32 positions (32 KiB), zeroed at the start of each block.
const TABLE: usize = memory.data(8192 * 4, 64)

export function compressBound(srcLen: i32): i32 {
  return srcLen + srcLen / 255 + 16
}

export function compressBlock(src: usize, srcLen: i32, dst: usize): i32 {
  if (srcLen < LIMIT_64K) {
    memory.fill(TABLE, 0, 8192 * 4)
    return compressWith<u16>(src, srcLen, dst)
  }
  memory.fill(TABLE, 0, 4096 * 4)
  return compressWith<u32>(src, srcLen, dst)
}

// T only selects the hash at compile time: u16 for small inputs (4-byte hash, 13 bits),
// u32 otherwise (5-byte hash, 12 bits), as the reference's byU16 / byU32 table types.
function hashAt<T>(p: usize): usize {
  if (sizeof<T>() == 2) {
    return <usize>((load<u32>(p) * 2654435761) >> (32 - 13))
  }
  return <usize>(((load<u64>(p) << 24) * 889523592379) >> (64 - 12))
}

// Length of the common prefix of pIn and pMatch, not reading pIn at or past limit.
function count(pIn: usize, pMatch: usize, limit: usize): u32 {
  const start = pIn
  while (pIn + 8 <= limit) {
    const diff = load<u64>(pMatch) ^ load<u64>(pIn)
    if (diff != 0) return <u32>(pIn - start) + <u32>(ctz<u64>(diff) >> 3)
    pIn += 8
    pMatch += 8
  }
  while (pIn < limit && load<u8>(pMatch) == load<u8>(pIn)) {
    pIn++
    pMatch++
  }
  return <u32>(pIn - start)
}

// Copy n bytes in 16-byte steps; may write up to 15 bytes past dst + n (the caller's slack).
function wildCopy(dst: usize, src: usize, n: usize): void {
  let i: usize = 0
  do {
    v128.store(dst + i, v128.load(src + i))
    i += 16
  } while (i < n)
}

// Write a length beyond the 4-bit token field as a run of 255s and a final byte < 255.
function writeLength(op: usize, len: u32): usize {
  while (len >= 255) {
    store<u8>(op++, 255)
    len -= 255
  }
  store<u8>(op++, <u8>len)
  return op
}

function compressWith<T>(src: usize, srcLen: i32, dst: usize): i32 {
  const iend = src + <usize>srcLen
  let op = dst
  let anchor = src
  if (srcLen >= MIN_LENGTH) {
    const mflimitPlusOne = iend - MFLIMIT + 1
    const matchlimit = iend - LASTLITERALS
    let ip = src
    store<u32>(TABLE + (hashAt<T>(ip) << 2), 0)
    ip++
    let forwardH = hashAt<T>(ip)
    let match: usize = 0
    while (true) {
      // Find a match; the step grows every 64 misses so incompressible data is skipped fast.
      let forwardIp = ip
      let step: usize = 1
      let searchMatchNb: u32 = 1 << SKIP_TRIGGER
      let found = false
      while (true) {
        const h = forwardH
        const current = <u32>(forwardIp - src)
        const matchIndex = load<u32>(TABLE + (h << 2))
        ip = forwardIp
        forwardIp += step
        step = <usize>(searchMatchNb++ >> SKIP_TRIGGER)
        if (forwardIp > mflimitPlusOne) break
        forwardH = hashAt<T>(forwardIp)
        store<u32>(TABLE + (h << 2), current)
        if (sizeof<T>() != 2 && matchIndex + MAX_DISTANCE < current) continue
        match = src + <usize>matchIndex
        if (load<u32>(match) == load<u32>(ip)) {
          found = true
          break
        }
      }
      if (!found) break

      // Extend the match backwards over equal bytes not yet emitted.
      while (ip > anchor && match > src && load<u8>(ip - 1) == load<u8>(match - 1)) {
        ip--
        match--
      }

      // Token and literals.
      const litLength = <u32>(ip - anchor)
      let token = op++
      if (litLength >= 15) {
        store<u8>(token, 15 << 4)
        op = writeLength(op, litLength - 15)
      } else {
        store<u8>(token, <u8>(litLength << 4))
      }
      if (litLength > 0) wildCopy(op, anchor, <usize>litLength)
      op += <usize>litLength

      // Offset and match length; then try the position right after the match directly, which
      // chains repeated matches without a literal run (token with zero literals).
      let more = true
      while (more) {
        store<u16>(op, <u16>(ip - match))
        op += 2
        let matchCode = count(ip + MINMATCH, match + MINMATCH, matchlimit)
        ip += <usize>(matchCode + MINMATCH)
        if (matchCode >= 15) {
          store<u8>(token, load<u8>(token) + 15)
          op = writeLength(op, matchCode - 15)
        } else {
          store<u8>(token, load<u8>(token) + <u8>matchCode)
        }
        anchor = ip
        if (ip >= mflimitPlusOne) break
        store<u32>(TABLE + (hashAt<T>(ip - 2) << 2), <u32>(ip - 2 - src))
        const h = hashAt<T>(ip)
        const mi = load<u32>(TABLE + (h << 2))
        const cur = <u32>(ip - src)
        store<u32>(TABLE + (h << 2), cur)
        match = src + <usize>mi
        more = (sizeof<T>() == 2 || mi + MAX_DISTANCE >= cur) && load<u32>(match) == load<u32>(ip)
        if (more) {
          token = op++
          store<u8>(token, 0)
        }
      }
      if (ip >= mflimitPlusOne) break
      ip++
      forwardH = hashAt<T>(ip)
    }
  }

  // Last literals.
  const lastRun = <u32>(iend - anchor)
  if (lastRun >= 15) {
    store<u8>(op++, 15 << 4)
    op = writeLength(op, lastRun - 15)
  } else {
    store<u8>(op++, <u8>(lastRun << 4))
  }
  memory.copy(op, anchor, <usize>lastRun)
  op += <usize>lastRun
  return <i32>(op - dst)
}
