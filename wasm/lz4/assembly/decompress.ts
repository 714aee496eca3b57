// Hardened LZ4 block decoder (lz4 Block Format Description). Input is untrusted: every length
// and offset is checked before use, so a malformed block yields a negative error code, never a
// write outside [dst, dst + dstCap) nor a read outside the input (beyond the 64 bytes of slack
// the caller reserves after it). Each loop iteration consumes at least one input byte, so
// decoding terminates on every input.
//
// dstLow is the lowest address a match may reference: dst for an independent block, or the start
// of earlier output for linked blocks (lz4 Frame Format, "Block Independence flag").

export const ERR_TRUNCATED: i32 = -1 // input ends inside a sequence
export const ERR_OFFSET: i32 = -2 // offset 0, or pointing before dstLow
export const ERR_OUTPUT: i32 = -3 // output would exceed dstCap

// Copy n bytes in 16-byte steps (may write up to 15 bytes past dst + n; callers check room).
function wildCopy(dst: usize, src: usize, n: usize): void {
  let i: usize = 0
  do {
    v128.store(dst + i, v128.load(src + i))
    i += 16
  } while (i < n)
}

export function decompressBlock(
  src: usize,
  srcLen: i32,
  dst: usize,
  dstCap: i32,
  dstLow: usize,
): i32 {
  let ip = src
  const iend = src + <usize>srcLen
  let op = dst
  const oend = dst + <usize>dstCap
  while (true) {
    if (ip >= iend) return ERR_TRUNCATED
    const token = <u32>load<u8>(ip++)

    // Fast path for the common short sequence (under 15 literals, match under 19 bytes) far from
    // both ends: fixed-size vector copies, no length loops. Far from the input end, a match must
    // follow the literals, since only the last sequence of a block may lack one.
    if (token < 0xf0 && (token & 15) != 15 && iend - ip >= 32 && oend - op >= 64) {
      const lit = <usize>(token >> 4)
      v128.store(op, v128.load(ip))
      ip += lit
      op += lit
      const offset = <usize>load<u16>(ip)
      ip += 2
      if (offset == 0 || offset > op - dstLow) return ERR_OFFSET
      const ml = <usize>(token & 15) + 4
      const match = op - offset
      if (offset >= 16) {
        // The second load reads only bytes below op + 16, all final after the first store.
        v128.store(op, v128.load(match))
        v128.store(op, v128.load(match, 16), 16)
      } else {
        for (let i: usize = 0; i < ml; i++) store<u8>(op + i, load<u8>(match + i))
      }
      op += ml
      continue
    }

    // Literals.
    let lit = <usize>(token >> 4)
    if (lit == 15) {
      let b: u32 = 255
      do {
        if (ip >= iend) return ERR_TRUNCATED
        b = <u32>load<u8>(ip++)
        lit += <usize>b
        // A literal run can never be longer than the input: stop before the sum can overflow.
        if (lit > <usize>srcLen) return ERR_TRUNCATED
      } while (b == 255)
    }
    if (lit > iend - ip) return ERR_TRUNCATED
    if (lit > oend - op) return ERR_OUTPUT
    if (oend - op >= lit + 16) {
      if (lit <= 16) {
        v128.store(op, v128.load(ip))
      } else {
        wildCopy(op, ip, lit)
      }
    } else {
      memory.copy(op, ip, lit)
    }
    ip += lit
    op += lit

    // The last sequence of a block is literals only.
    if (ip == iend) return <i32>(op - dst)

    // Match.
    if (iend - ip < 2) return ERR_TRUNCATED
    const offset = <usize>load<u16>(ip)
    ip += 2
    if (offset == 0 || offset > op - dstLow) return ERR_OFFSET
    let ml = <usize>(token & 15) + 4
    if ((token & 15) == 15) {
      let b: u32 = 255
      do {
        if (ip >= iend) return ERR_TRUNCATED
        b = <u32>load<u8>(ip++)
        ml += <usize>b
        if (ml > <usize>dstCap) return ERR_OUTPUT
      } while (b == 255)
    }
    if (ml > oend - op) return ERR_OUTPUT
    const match = op - offset
    if (oend - op >= ml + 32) {
      if (offset >= 16) {
        // Every 16-byte load reads bytes already written, so forward wild copy is exact.
        wildCopy(op, match, ml)
      } else {
        // Short period: lay down 16 bytes one at a time, then copy from a distance that is a
        // multiple of the period and at least 16, which lets 16-byte steps reproduce it.
        for (let i: usize = 0; i < 16; i++) store<u8>(op + i, load<u8>(match + i))
        if (ml > 16) {
          const d = offset * ((16 + offset - 1) / offset)
          wildCopy(op + 16, op + 16 - d, ml - 16)
        }
      }
    } else if (offset >= ml) {
      memory.copy(op, match, ml)
    } else {
      for (let i: usize = 0; i < ml; i++) store<u8>(op + i, load<u8>(match + i))
    }
    op += ml
  }
  return ERR_TRUNCATED
}
