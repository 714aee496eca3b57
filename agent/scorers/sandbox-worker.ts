/**
 * The inside of a scorer sandbox (a worker thread, started by sandbox.ts through
 * sandbox-boot.mjs): checks the component (wasm/plugin/component-check.ts), loads it with
 * jco (wasm/plugin/loader.ts, no host imports), says `ready`, then answers each `score`
 * batch with one score per path. Anything the plugin does wrong is reported per batch; a
 * plugin that never returns is the agent's business (it terminates this thread).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { checkScorerComponent } from '../../wasm/plugin/component-check'
import { loadScorerPlugin, PluginError, type ScorerPlugin } from '../../wasm/plugin/loader'
import {
  type FromWorker,
  METRICS_PER_PATH,
  type SandboxWorkerData,
  type ToWorker,
} from './sandbox-protocol'

const port = parentPort
if (!port) throw new Error('scorer sandbox: not started as a worker thread')
const post = (message: FromWorker, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer)

function scoreBatch(plugin: ScorerPlugin, metrics: Float64Array): Float64Array {
  const n = Math.floor(metrics.length / METRICS_PER_PATH)
  const scores = new Float64Array(n)
  for (let p = 0; p < n; p++) {
    const at = p * METRICS_PER_PATH
    scores[p] = plugin.score({
      latencyMs: metrics[at]!,
      jitterMs: metrics[at + 1]!,
      loss: metrics[at + 2]!,
      bandwidthMbps: metrics[at + 3]!,
      cost: metrics[at + 4]!,
      mos: metrics[at + 5]!,
    })
  }
  return scores
}

async function start(): Promise<void> {
  const { component } = workerData as SandboxWorkerData
  const check = checkScorerComponent(component)
  if (!check.ok) return post({ type: 'load-error', code: check.code, message: check.message })
  let plugin: ScorerPlugin
  try {
    plugin = await loadScorerPlugin(component)
  } catch (error) {
    const code = error instanceof PluginError ? error.code : 'INVALID_COMPONENT'
    return post({ type: 'load-error', code, message: (error as Error).message })
  }
  port!.on('message', (message: ToWorker) => {
    if (message.type !== 'score') return
    try {
      const scores = scoreBatch(plugin, message.metrics)
      post({ type: 'scores', seq: message.seq, scores }, [scores.buffer as ArrayBuffer])
    } catch (error) {
      const code = error instanceof PluginError ? error.code : 'TRAP'
      post({
        type: 'error',
        seq: message.seq,
        code,
        message: String((error as Error)?.message ?? error),
      })
    }
  })
  post({ type: 'ready' })
}

await start()
