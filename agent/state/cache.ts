/**
 * The desired-state cache: the last document the control plane sent, validated, plus when
 * the agent last synced. It is what makes the agent fail-static: the daemon reconfigures
 * from it at start, before (and without) reaching the control plane.
 */
import { z } from 'zod'
import { type DesiredState, desiredStateSchema } from '../../protocol/agent'
import { readJson, writeJsonAtomic } from './files'
import type { StatePaths } from './paths'

export const syncStatusSchema = z.object({
  /** ISO time of the last successful config fetch (200 or 304). */
  lastSyncAt: z.string(),
  revision: z.number().int().min(0).nullable(),
})

export type SyncStatus = z.infer<typeof syncStatusSchema>

export interface DesiredStateStore {
  load(): Promise<DesiredState | undefined>
  save(state: DesiredState): Promise<void>
  loadSyncStatus(): Promise<SyncStatus | undefined>
  saveSyncStatus(status: SyncStatus): Promise<void>
}

/** The on-disk store (atomic writes, mode 0600). */
export function fileStore(paths: StatePaths): DesiredStateStore {
  return {
    load: () => readJson(paths.desiredState, desiredStateSchema, 'cached desired state'),
    save: (state) => writeJsonAtomic(paths.desiredState, state),
    loadSyncStatus: () => readJson(paths.syncStatus, syncStatusSchema, 'sync status'),
    saveSyncStatus: (status) => writeJsonAtomic(paths.syncStatus, status),
  }
}
