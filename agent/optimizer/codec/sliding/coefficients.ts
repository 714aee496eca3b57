/**
 * Coding coefficients of a sliding-window repair packet, in the manner of RFC 8681 sec. 3.6:
 * a seeded PRNG gives one nonzero GF(2^8) coefficient per source packet of the repair's
 * encoding window, so the sender never transmits them and the receiver regenerates them from
 * the repair header. RFC 8681 uses TinyMT32 and an explicit 16-bit repair key; this code is not
 * meant to interoperate with FECFRAME, so it uses a small 32-bit mixer (mulberry32) seeded with
 * the session and the window's last source number, which is unique per repair (the sender
 * sends at most one repair per source packet, agent/optimizer/codec/sliding/encoder.ts).
 * All coefficients are nonzero (full density, RFC 8681's DT = 15): every repair involves every
 * packet of its window, which is what lets a single repair rebuild any one lost packet.
 */

/** `count` nonzero coefficients for the repair of (session, last source number). */
export function repairCoefficients(
  session: number,
  lastEsi: number,
  count: number,
  out: Uint8Array = new Uint8Array(count),
): Uint8Array {
  // Seed mixing: the session scrambled by a multiply, so (s, e) and (s + 1, e - 1) differ.
  let a = (Math.imul(session ^ 0x9e3779b9, 0x85ebca6b) ^ lastEsi) >>> 0
  let word = 0
  for (let i = 0; i < count; i++) {
    if ((i & 3) === 0) {
      a = (a + 0x6d2b79f5) >>> 0
      let t = a
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      word = (t ^ (t >>> 14)) >>> 0
    }
    // Four coefficients per PRNG word; a zero byte becomes 1 (RFC 8681 does the same).
    const c = (word >>> ((i & 3) * 8)) & 0xff
    out[i] = c === 0 ? 1 : c
  }
  return out
}
