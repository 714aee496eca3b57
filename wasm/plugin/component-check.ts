/**
 * A structural check that bytes are a scorer plugin: a WebAssembly component (binary version
 * 0x0d, layer 1: what wit-component and jco produce and what the agent's jco can load) of the
 * `patronus:scorer` world (wit/scorer.wit). Plain TypeScript over the bytes, no compilation,
 * so the control plane runs the same check at upload on Node and inside Workers (which may not
 * compile WebAssembly from request bytes, let alone run jco), and the agent runs it again
 * before it loads a plugin.
 *
 * What is checked, in order:
 * 1. Framing: the preamble and every top-level section's length, to the last byte.
 * 2. Imports: only type imports (wit-component imports the world's record types that way);
 *    anything else (functions, instances such as WASI) would need host capabilities that
 *    plugins never get.
 * 3. Exports: a function named `score`.
 * 4. Its signature, when the definitions it depends on are ones this reader understands:
 *    one parameter, a record of the six f64 fields of `metrics` in WIT order, and an f64
 *    result. Type or canon encodings outside that subset (nested component or instance
 *    types, async built-ins) make the signature `unchecked` rather than refused: the agent's
 *    loader still checks the plugin when it instantiates it.
 * Nested components and core modules are skipped by length, not inspected.
 */
import {
  type ExternDesc,
  type FuncDef,
  Malformed,
  Reader,
  readCanon,
  readDefType,
  readExternDesc,
  readExternName,
  readOptional,
  readSort,
  SORT,
  type TypeDef,
  Unsupported,
  type ValType,
} from './component-binary'

export const COMPONENT_PREAMBLE = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00)

/** The `metrics` record's fields, in WIT order (canonical ABI order). */
export const SCORER_METRICS_FIELDS = [
  'latency-ms',
  'jitter-ms',
  'loss',
  'bandwidth-mbps',
  'cost',
  'mos',
] as const

export type ComponentCheckCode = 'NOT_A_COMPONENT' | 'IMPORTS_NOT_ALLOWED' | 'WRONG_WORLD'

export type ComponentCheck =
  | { ok: true; signature: 'checked' | 'unchecked' }
  | { ok: false; code: ComponentCheckCode; message: string }

const F64 = 0x75
const SECTION = { alias: 6, type: 7, canon: 8, import: 10, export: 11 } as const

interface Spaces {
  /** The component type index space; null entries are types of unknown shape. */
  types: TypeDef[]
  funcs: FuncDef[]
  /** False once a definition this reader cannot walk was met: later indices are unknown. */
  typesKnown: boolean
  funcsKnown: boolean
  imports: { name: string; kind: ExternDesc['kind'] }[]
  score: { func: FuncDef; ascribed: number | null } | null
}

function walkSection(id: number, r: Reader, s: Spaces): void {
  const count = r.u32()
  for (let i = 0; i < count; i++) {
    switch (id) {
      case SECTION.type:
        s.types.push(readDefType(r))
        break
      case SECTION.alias: {
        const sort = readSort(r)
        const target = r.u8()
        if (target === 0x00 || target === 0x01) {
          r.u32()
          r.string()
        } else if (target === 0x02) {
          r.u32()
          r.u32()
        } else throw new Malformed(`unknown alias target 0x${target.toString(16)}`)
        if (sort === SORT.type) s.types.push({ kind: 'other' })
        if (sort === SORT.func) s.funcs.push(null)
        break
      }
      case SECTION.canon: {
        const made = readCanon(r)
        if (made) s.funcs.push(made.func)
        break
      }
      case SECTION.import: {
        const name = readExternName(r)
        const desc = readExternDesc(r)
        s.imports.push({ name, kind: desc.kind })
        if (desc.kind === 'type') {
          s.types.push(desc.index === null ? { kind: 'other' } : { kind: 'alias', of: desc.index })
        }
        if (desc.kind === 'func') s.funcs.push(desc.index)
        break
      }
      case SECTION.export: {
        const name = readExternName(r)
        const sort = readSort(r)
        const index = r.u32()
        const desc = readOptional(r, () => readExternDesc(r))
        // Every export adds an index to its sort's space, aliasing what it exports.
        if (sort === SORT.type) s.types.push({ kind: 'alias', of: index })
        if (sort === SORT.func) {
          const func = desc?.kind === 'func' ? desc.index : (s.funcs[index] ?? null)
          s.funcs.push(func)
          if (name === 'score') s.score = { func, ascribed: desc?.index ?? null }
        }
        break
      }
    }
  }
  if (!r.done) throw new Malformed('section longer than its contents')
}

function resolve(types: readonly TypeDef[], v: ValType): TypeDef | null {
  if ('prim' in v) return { kind: 'prim', code: v.prim }
  let index = v.index
  for (let hops = 0; hops < 64; hops++) {
    const t = types[index]
    if (!t) return null
    if (t.kind !== 'alias') return t
    index = t.of
  }
  return null
}

const isF64 = (t: TypeDef | null) => t?.kind === 'prim' && t.code === F64

/** 'checked' when the signature is the world's, a message when it is not, null when unknown. */
function checkSignature(s: Spaces): 'checked' | string | null {
  const score = s.score
  if (!score || score.func === null) return null
  const fn = resolve(s.types, { index: score.func })
  if (!fn) return null
  if (fn.kind !== 'func') return 'score is not a function type'
  if (fn.async) return 'score is async; the world declares a synchronous function'
  if (fn.params.length !== 1)
    return `score takes ${fn.params.length} parameters; the world passes one metrics record`
  if (!fn.result || !isF64(resolve(s.types, fn.result))) return 'score must return an f64'
  const record = resolve(s.types, fn.params[0]!)
  if (!record) return null
  if (record.kind !== 'record') return 'the parameter of score must be the metrics record'
  const labels = record.fields.map((f) => f.label)
  if (
    labels.length !== SCORER_METRICS_FIELDS.length ||
    labels.some((l, i) => l !== SCORER_METRICS_FIELDS[i])
  ) {
    return `the metrics record has fields ${labels.join(', ')}; the world has ${SCORER_METRICS_FIELDS.join(', ')}`
  }
  for (const f of record.fields) {
    const t = resolve(s.types, f.type)
    if (!t) return null
    if (!isF64(t)) return `metrics field ${f.label} must be an f64`
  }
  return 'checked'
}

export function checkScorerComponent(bytes: Uint8Array): ComponentCheck {
  const refuse = (code: ComponentCheckCode, message: string): ComponentCheck => ({
    ok: false,
    code,
    message,
  })
  const magic = bytes.length >= 8 && COMPONENT_PREAMBLE.slice(0, 4).every((b, i) => bytes[i] === b)
  if (!magic)
    return refuse('NOT_A_COMPONENT', 'not WebAssembly: the bytes do not start with \\0asm')
  if (bytes[6] === 0 && bytes[7] === 0) {
    return refuse(
      'NOT_A_COMPONENT',
      'a core WebAssembly module, not a component: wrap it for the patronus:scorer world (`jco new`, `wasm-tools component new`)',
    )
  }
  if (!COMPONENT_PREAMBLE.every((b, i) => bytes[i] === b)) {
    return refuse(
      'NOT_A_COMPONENT',
      `component binary version 0x${bytes[4]!.toString(16)}, layer ${bytes[6]}: agents load version 0x0d, layer 1`,
    )
  }
  const s: Spaces = {
    types: [],
    funcs: [],
    typesKnown: true,
    funcsKnown: true,
    imports: [],
    score: null,
  }
  const all = new Reader(bytes, 8, bytes.length)
  try {
    while (!all.done) {
      const id = all.u8()
      const size = all.u32()
      const end = all.pos + size
      if (end > bytes.length) throw new Malformed(`section ${id} runs past the end of the bytes`)
      const tracked =
        (id === SECTION.type && s.typesKnown) ||
        (id === SECTION.canon && s.funcsKnown) ||
        id === SECTION.alias ||
        id === SECTION.import ||
        id === SECTION.export
      if (tracked) {
        try {
          walkSection(id, new Reader(bytes, all.pos, end), s)
        } catch (error) {
          if (!(error instanceof Unsupported)) throw error
          // Indices defined after this point cannot be told apart any more.
          if (id === SECTION.type) s.typesKnown = false
          if (id === SECTION.canon) s.funcsKnown = false
        }
      }
      all.pos = end
    }
  } catch (error) {
    if (error instanceof Malformed)
      return refuse('NOT_A_COMPONENT', `malformed component: ${error.message}`)
    throw error
  }
  const granted = s.imports.filter((i) => i.kind !== 'type')
  if (granted.length > 0) {
    return refuse(
      'IMPORTS_NOT_ALLOWED',
      `the component imports ${granted.map((i) => `${i.name} (${i.kind})`).join(', ')}; scorer plugins get no host imports`,
    )
  }
  if (!s.score) {
    return refuse(
      'WRONG_WORLD',
      'the component exports no `score` function: it is not of the patronus:scorer world',
    )
  }
  const signature = s.typesKnown && s.funcsKnown ? checkSignature(s) : null
  if (signature === null) return { ok: true, signature: 'unchecked' }
  if (signature !== 'checked') {
    return refuse('WRONG_WORLD', `not the patronus:scorer world's score: ${signature}`)
  }
  return { ok: true, signature: 'checked' }
}
