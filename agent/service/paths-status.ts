/**
 * paths-status.json: what the running daemon knows of its paths, for `patronus-agent
 * status` (which reads local files only, and so works with the metrics endpoint off). The
 * daemon rewrites it atomically every PATHS_STATUS_INTERVAL_MS from the path monitor's
 * telemetry (the same samples and class decisions it posts to the control plane), and
 * once with mode "maintenance" when `down` takes the pipeline away.
 */
import { z } from 'zod'
import type { TelemetryBatch } from '../../protocol/telemetry'
import type { Clock } from '../clock'
import type { Logger } from '../logger'
import { readJson, writeJsonAtomic } from '../state'

export const PATHS_STATUS_INTERVAL_MS = 5_000

const pathRef = {
  peerSiteId: z.string(),
  localSlot: z.number().int(),
  remoteSlot: z.number().int(),
}

export const pathsStatusSchema = z.object({
  /** When the daemon wrote it (ISO 8601). */
  at: z.string(),
  mode: z.enum(['running', 'maintenance']),
  paths: z.array(
    z.object({
      ...pathRef,
      state: z.enum(['up', 'down']),
      rttMs: z.number().nullable(),
      jitterMs: z.number().nullable(),
      lossPct: z.number(),
    }),
  ),
  /** The active path of every traffic class. */
  classes: z.array(z.object({ class: z.string(), ...pathRef, reason: z.string() })),
})

export type PathsStatus = z.infer<typeof pathsStatusSchema>

export function pathsStatusOf(
  batch: TelemetryBatch | undefined,
  at: number,
  mode: PathsStatus['mode'],
): PathsStatus {
  return {
    at: new Date(at).toISOString(),
    mode,
    paths: (batch?.samples ?? []).map((s) => ({
      ...s.path,
      state: s.state,
      rttMs: s.rttMs,
      jitterMs: s.jitterMs,
      lossPct: s.lossPct,
    })),
    classes: (batch?.activePaths ?? []).map((a) => ({
      class: a.class,
      ...a.path,
      reason: a.reason,
    })),
  }
}

export function readPathsStatus(path: string): Promise<PathsStatus | undefined> {
  return readJson(path, pathsStatusSchema, 'paths status')
}

export interface PathsStatusSource {
  telemetry(): TelemetryBatch
}

/**
 * Writes the file now and every interval until `signal` aborts. A failed write is logged
 * once per streak: the status file must never disturb forwarding.
 */
export async function writePathsStatusLoop(options: {
  path: string
  clock: Clock
  logger: Logger
  /** The path monitor; absent in dry-run (the file then lists no paths). */
  source: PathsStatusSource | undefined
  signal: AbortSignal
  intervalMs?: number
}): Promise<void> {
  const { path, clock, logger, source, signal } = options
  let failing = false
  while (!signal.aborted) {
    try {
      await writeJsonAtomic(path, pathsStatusOf(source?.telemetry(), clock.now(), 'running'))
      if (failing) logger.info({ path }, 'paths status written again')
      failing = false
    } catch (error) {
      if (!failing) logger.warn({ path, err: (error as Error).message }, 'write paths status')
      failing = true
    }
    await clock.sleep(options.intervalMs ?? PATHS_STATUS_INTERVAL_MS, signal)
  }
}
