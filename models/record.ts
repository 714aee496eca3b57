/**
 * `npm run models:record [-- --out DIR]` (root): records traces with the agent's own quality
 * probes and BFD in the WAN lab under the scripted impairments of models/record/scenarios.ts,
 * in the trace format (models/README.md). Two sites with one uplink each; the agent's
 * QualityProber on site 0 probes the QualityResponder on site 1 every 50 ms (the lab's probe
 * interval) and our BFD runs between the same addresses at 50 ms x 3; site 0's uplink is
 * impaired on the WAN router. About four minutes; writes models/recorded/ by default.
 *
 * Labels: the scripted outage is the failure (start and end from the script); SLA violations
 * are found in the probes with the generator's rules (models/trace/derive-events.ts) and get
 * the scenario's cause.
 */
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Lab } from '../test/lab/harness.ts'
import { SCENARIOS } from './record/scenarios.ts'
import { recordScenarios } from './record/session.ts'
import { writeTrace } from './trace/format.ts'

const here = dirname(fileURLToPath(import.meta.url))
const log = (msg: string) => console.log(`[models:record] ${msg}`)

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'models:record builds network namespaces: run it as root (sudo npm run models:record)',
    )
  }
  const argv = process.argv.slice(2)
  const i = argv.indexOf('--out')
  const outDir = i >= 0 ? (argv[i + 1] ?? '') : join(here, 'recorded')
  mkdirSync(outDir, { recursive: true })
  const lab = await Lab.create({ sites: 2, uplinks: 1, log })
  try {
    const traces = await recordScenarios(lab, SCENARIOS, { log })
    for (const trace of traces) {
      const lost = trace.probes.filter((p) => p.rttMs === null).length
      log(
        `${trace.name}: ${trace.probes.length} probes, ${lost} lost, ${trace.events.length} events, ${trace.bfd?.length ?? 0} BFD transitions`,
      )
      writeTrace(outDir, trace)
    }
    log(`wrote ${traces.length} traces to ${outDir}`)
  } finally {
    await lab.destroy()
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
