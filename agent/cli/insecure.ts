/**
 * The CLI side of the https-only rule (agent/control/server-url.ts). `enroll` refuses an
 * http:// server unless `--insecure-http` is given, and records that choice in agent.json;
 * `run` and `sync` re-check the stored URL (the record may predate the rule or be edited
 * by hand) and use plain HTTP only when the enrollment recorded the flag or the command is
 * given it again.
 */
import { INSECURE_HTTP_FLAG, insecureHttpMessage, isPlainHttp } from '../control'
import type { EnrollmentRecord } from '../state'

/**
 * Whether the stored server may be reached over plain HTTP: false for https://, true for
 * an http:// one the enrollment or this command allowed, else an Error naming the flag.
 */
export function allowStoredHttp(
  command: 'run' | 'sync',
  enrollment: EnrollmentRecord,
  flag: boolean | undefined,
): boolean {
  if (!isPlainHttp(enrollment.serverUrl)) return false
  if (enrollment.insecureHttp === true || flag === true) return true
  throw new Error(
    `${command}: ${insecureHttpMessage(enrollment.serverUrl)}; this enrollment did not ` +
      `record ${INSECURE_HTTP_FLAG}: pass it to \`patronus-agent ${command}\` or enroll again with it`,
  )
}
