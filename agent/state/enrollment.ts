/**
 * The enrollment record (agent.json): who this agent is to the control plane and where
 * that control plane lives. Written once by `enroll`, read by every other command.
 */
import { z } from 'zod'
import { publicKeySchema, uplinkClaimSchema } from '../../protocol/agent'
import { NotEnrolledError } from './errors'
import { readJson, writeJsonAtomic } from './files'
import type { StatePaths } from './paths'

export const enrollmentRecordSchema = z.object({
  agentId: z.string().min(1),
  siteId: z.string().min(1),
  orgId: z.string().min(1),
  overlayAddress: z.string(),
  overlayPool: z.string(),
  serverUrl: z.string().url(),
  protocolVersion: z.number().int(),
  enrolledAt: z.string(),
  hostname: z.string(),
  identityPublicKey: publicKeySchema,
  wireguardPublicKey: publicKeySchema,
  // Read leniently: a record written before endpoints had one grammar (protocol/endpoint.ts) may
  // hold an endpoint the server would refuse today, and must not stop an enrolled agent starting.
  uplinks: z.array(uplinkClaimSchema.extend({ endpoint: z.string().max(270).optional() })),
  /**
   * `enroll --insecure-http` was given: `run` and `sync` may then use an http:// serverUrl.
   * Absent (older records) = false, so a stored http:// URL needs the flag again.
   */
  insecureHttp: z.boolean().optional(),
})

export type EnrollmentRecord = z.infer<typeof enrollmentRecordSchema>

export async function readEnrollment(paths: StatePaths): Promise<EnrollmentRecord | undefined> {
  return readJson(paths.enrollment, enrollmentRecordSchema, 'enrollment record')
}

/** The enrollment record, or NotEnrolledError telling the operator to run `enroll`. */
export async function requireEnrollment(paths: StatePaths): Promise<EnrollmentRecord> {
  const record = await readEnrollment(paths)
  if (!record) throw new NotEnrolledError(paths.enrollment)
  return record
}

export async function writeEnrollment(paths: StatePaths, record: EnrollmentRecord): Promise<void> {
  await writeJsonAtomic(paths.enrollment, record)
}
