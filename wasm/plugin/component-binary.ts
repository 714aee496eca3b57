/**
 * Decoding the parts of the WebAssembly component binary format (version 0x0d, as the
 * component model specifies it) that component-check.ts needs: LEB128 integers, names, value and type
 * definitions, extern descriptors, sorts and canon definitions. Anything outside that subset
 * throws Unsupported (the caller stops tracking what it can no longer index); anything
 * inconsistent throws Malformed.
 */

export const SORT = { core: 0x00, func: 0x01, type: 0x03 } as const

export type ValType = { prim: number } | { index: number }
export type TypeDef =
  | { kind: 'record'; fields: { label: string; type: ValType }[] }
  | { kind: 'func'; async: boolean; params: ValType[]; result: ValType | null }
  | { kind: 'alias'; of: number }
  | { kind: 'prim'; code: number }
  | { kind: 'other' }
/** A function's type index, or null when it came from something this reader does not model. */
export type FuncDef = number | null

export class Malformed extends Error {}
/** An encoding this reader does not model: the rest of the section cannot be walked. */
export class Unsupported extends Error {}

export class Reader {
  pos: number
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start
  }

  get done(): boolean {
    return this.pos >= this.end
  }

  u8(): number {
    if (this.pos >= this.end) throw new Malformed('unexpected end of section')
    return this.bytes[this.pos++]!
  }

  peek(): number {
    if (this.pos >= this.end) throw new Malformed('unexpected end of section')
    return this.bytes[this.pos]!
  }

  /** Unsigned LEB128, at most 5 bytes (a u32). */
  u32(): number {
    let result = 0
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.u8()
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) {
        if (result > 0xffff_ffff) throw new Malformed('integer over 32 bits')
        return result
      }
    }
    throw new Malformed('integer longer than 5 bytes')
  }

  string(): string {
    const len = this.u32()
    if (this.pos + len > this.end) throw new Malformed('name past the end of its section')
    const text = new TextDecoder('utf-8', { fatal: false }).decode(
      this.bytes.subarray(this.pos, this.pos + len),
    )
    this.pos += len
    return text
  }
}

/** `nameattributes`: the name, with any attributes (implements, version suffix) skipped. */
export function readExternName(r: Reader): string {
  const tag = r.u8()
  const name = r.string()
  if (tag === 0x00 || tag === 0x01) return name
  if (tag !== 0x02) throw new Malformed(`unknown name encoding 0x${tag.toString(16)}`)
  const count = r.u32()
  for (let i = 0; i < count; i++) {
    const kind = r.u8()
    if (kind > 0x02) throw new Malformed(`unknown name attribute 0x${kind.toString(16)}`)
    r.string()
  }
  return name
}

/** s33: single bytes 0x40-0x7f are (negative) primitive type codes, the rest type indices. */
export function readValType(r: Reader): ValType {
  const b = r.peek()
  if (b >= 0x40 && b <= 0x7f) return { prim: r.u8() }
  return { index: r.u32() }
}

export function readOptional<T>(r: Reader, read: () => T): T | null {
  const tag = r.u8()
  if (tag === 0x00) return null
  if (tag === 0x01) return read()
  throw new Malformed(`bad option tag 0x${tag.toString(16)}`)
}

export function readVec<T>(r: Reader, read: () => T): T[] {
  const count = r.u32()
  const out: T[] = []
  for (let i = 0; i < count; i++) out.push(read())
  return out
}

export function readDefType(r: Reader): TypeDef {
  const tag = r.u8()
  const labelled = () => ({ label: r.string(), type: readValType(r) })
  switch (tag) {
    case 0x40:
    case 0x43: {
      const params = readVec(r, labelled).map((p) => p.type)
      const rtag = r.u8()
      let result: ValType | null
      if (rtag === 0x00) result = readValType(r)
      else if (rtag === 0x01 && r.u8() === 0x00) result = null
      else throw new Malformed('bad function result list')
      return { kind: 'func', async: tag === 0x43, params, result }
    }
    case 0x72:
      return { kind: 'record', fields: readVec(r, labelled) }
    case 0x71:
      readVec(r, () => {
        r.string()
        readOptional(r, () => readValType(r))
        if (r.u8() !== 0x00) throw new Unsupported('variant case refinement')
      })
      return { kind: 'other' }
    case 0x70:
    case 0x6b:
      readValType(r)
      return { kind: 'other' }
    case 0x67:
      readValType(r)
      r.u32()
      return { kind: 'other' }
    case 0x6f:
      readVec(r, () => readValType(r))
      return { kind: 'other' }
    case 0x6e:
    case 0x6d:
      readVec(r, () => r.string())
      return { kind: 'other' }
    case 0x6a:
      readOptional(r, () => readValType(r))
      readOptional(r, () => readValType(r))
      return { kind: 'other' }
    case 0x69:
    case 0x68:
      r.u32()
      return { kind: 'other' }
    case 0x66:
    case 0x65:
      readOptional(r, () => readValType(r))
      return { kind: 'other' }
    case 0x63:
      readValType(r)
      readValType(r)
      return { kind: 'other' }
    case 0x3f:
      r.u8()
      readOptional(r, () => r.u32())
      return { kind: 'other' }
    default:
      if (tag === 0x64 || (tag >= 0x73 && tag <= 0x7f)) return { kind: 'prim', code: tag }
      // Component and instance types (0x41, 0x42) nest whole declaration lists.
      throw new Unsupported(`type encoding 0x${tag.toString(16)}`)
  }
}

export interface ExternDesc {
  kind: 'module' | 'func' | 'value' | 'type' | 'component' | 'instance'
  /** func: its type; type: the `eq` target (null for `sub resource`). */
  index: number | null
}

export function readExternDesc(r: Reader): ExternDesc {
  const tag = r.u8()
  switch (tag) {
    case 0x00:
      if (r.u8() !== 0x11) throw new Malformed('bad core module extern type')
      return { kind: 'module', index: r.u32() }
    case 0x01:
      return { kind: 'func', index: r.u32() }
    case 0x02:
      if (r.u8() === 0x00) r.u32()
      else readValType(r)
      return { kind: 'value', index: null }
    case 0x03:
      return { kind: 'type', index: r.u8() === 0x00 ? r.u32() : null }
    case 0x04:
      return { kind: 'component', index: r.u32() }
    case 0x05:
      return { kind: 'instance', index: r.u32() }
    default:
      throw new Malformed(`unknown extern type 0x${tag.toString(16)}`)
  }
}

/** A sort: the component sorts 0x01-0x05, or a core sort after 0x00. */
export function readSort(r: Reader): number {
  const sort = r.u8()
  if (sort === SORT.core) r.u8()
  return sort
}

export function readCanonOpts(r: Reader): void {
  readVec(r, () => {
    const opt = r.u8()
    if (opt === 0x03 || opt === 0x04 || opt === 0x05 || opt === 0x07) r.u32()
    else if (opt > 0x07) throw new Unsupported(`canon option 0x${opt.toString(16)}`)
  })
}

/** One canon definition; the function it adds to the component's func index space, if any. */
export function readCanon(r: Reader): { func: number } | null {
  const op = r.u8()
  if (op === 0x00) {
    if (r.u8() !== 0x00) throw new Malformed('bad canon lift')
    r.u32()
    readCanonOpts(r)
    return { func: r.u32() }
  }
  if (op === 0x01) {
    if (r.u8() !== 0x00) throw new Malformed('bad canon lower')
    r.u32()
    readCanonOpts(r)
    return null
  }
  if (op >= 0x02 && op <= 0x04) {
    r.u32()
    return null
  }
  // The async and thread built-ins: core functions only, but each with its own immediates.
  throw new Unsupported(`canon 0x${op.toString(16)}`)
}
