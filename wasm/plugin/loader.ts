/**
 * Scorer plugins: a custom path preference shipped as any WebAssembly component of the
 * `patronus:scorer` world (wasm/plugin/wit/scorer.wit). The agent transpiles the component with
 * jco into JavaScript glue plus core modules, instantiates it in-process and calls `score` for
 * paths under a `custom` policy. Plugins get no host capabilities: a component that imports
 * anything is refused unless the caller supplies those imports explicitly.
 */
import { transpile } from '@bytecodealliance/jco'

/** The `metrics` record of the WIT world, with jco's camelCase field names. */
export interface ScorerMetrics {
  latencyMs: number
  jitterMs: number
  loss: number
  bandwidthMbps: number
  cost: number
  mos: number
}

export interface ScorerPlugin {
  /** Higher is better; a non-finite result means "do not use this path". */
  score(metrics: ScorerMetrics): number
}

export type PluginErrorCode =
  | 'INVALID_COMPONENT'
  | 'WRONG_WORLD'
  | 'IMPORTS_NOT_ALLOWED'
  | 'BAD_RESULT'

export class PluginError extends Error {
  override readonly name = 'PluginError'
  constructor(
    readonly code: PluginErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

export interface LoadOptions {
  /** Host implementations for the component's imports, keyed by import name (default none). */
  imports?: Record<string, unknown>
}

type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
) => Promise<{ score?: unknown }>

export async function loadScorerPlugin(
  component: Uint8Array,
  options: LoadOptions = {},
): Promise<ScorerPlugin> {
  let out: Awaited<ReturnType<typeof transpile>>
  try {
    out = await transpile(component, {
      name: 'scorer',
      instantiation: 'async',
      noTypescript: true,
      quiet: true,
    })
  } catch (cause) {
    throw new PluginError(
      'INVALID_COMPONENT',
      `scorer plugin: not a valid component: ${String(cause)}`,
      {
        cause,
      },
    )
  }
  if (!out.exports.some(([name, kind]) => name === 'score' && kind === 'function')) {
    throw new PluginError(
      'WRONG_WORLD',
      `scorer plugin: component does not export score (exports: ${out.exports.map(([n]) => n).join(', ') || 'none'})`,
    )
  }
  const imports = options.imports ?? {}
  const missing = out.imports.filter((name) => !(name in imports))
  if (missing.length > 0) {
    throw new PluginError(
      'IMPORTS_NOT_ALLOWED',
      `scorer plugin: component imports ${missing.join(', ')}, which the host does not grant`,
    )
  }

  const modules = new Map<string, WebAssembly.Module>()
  for (const [name, bytes] of Object.entries(out.files)) {
    if (name.endsWith('.wasm')) modules.set(name, new WebAssembly.Module(new Uint8Array(bytes)))
  }
  const glue = out.files['scorer.js']
  if (!glue)
    throw new PluginError('INVALID_COMPONENT', 'scorer plugin: jco produced no JavaScript glue')
  // The glue is an ES module with no imports of its own (instantiation mode): load it from memory.
  const url = `data:text/javascript;base64,${Buffer.from(glue).toString('base64')}`
  const { instantiate } = (await import(/* @vite-ignore */ url)) as { instantiate: Instantiate }
  const instance = await instantiate((name) => {
    const mod = modules.get(name)
    if (!mod)
      throw new PluginError('INVALID_COMPONENT', `scorer plugin: missing core module ${name}`)
    return mod
  }, imports)
  const score = instance.score
  if (typeof score !== 'function') {
    throw new PluginError(
      'WRONG_WORLD',
      'scorer plugin: instantiated component has no score function',
    )
  }
  return {
    score(metrics) {
      const result = score(metrics)
      if (typeof result !== 'number') {
        throw new PluginError(
          'BAD_RESULT',
          `scorer plugin: score returned ${typeof result}, not a number`,
        )
      }
      return result
    },
  }
}
