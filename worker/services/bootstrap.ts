/**
 * First start: an empty database gets org `default` and one instance-admin token, either
 * the operator's PATRONUS_BOOTSTRAP_TOKEN or a generated one that the caller prints once.
 * Safe when several instances start together: the org name is unique, the loser backs off.
 */

import { newId } from '../../protocol/ids'
import { isUniqueViolation } from '../db/errors'
import { orgs } from '../db/schema'
import { recordAudit } from './audit'
import type { ServiceContext } from './context'
import { insertToken } from './tokens'

export const MIN_BOOTSTRAP_TOKEN_LENGTH = 16

export interface BootstrapResult {
  created: boolean
  /** Set only when a token was generated here; the caller prints it once. */
  generatedToken?: string
}

export async function bootstrap(
  ctx: ServiceContext,
  presetToken?: string,
): Promise<BootstrapResult> {
  if (presetToken !== undefined && presetToken.length < MIN_BOOTSTRAP_TOKEN_LENGTH) {
    throw new Error(
      `PATRONUS_BOOTSTRAP_TOKEN must be at least ${MIN_BOOTSTRAP_TOKEN_LENGTH} characters`,
    )
  }
  const [any] = await ctx.db.select({ id: orgs.id }).from(orgs).limit(1)
  if (any) return { created: false }
  const now = ctx.clock.now()
  try {
    const secret = await ctx.db.transaction(async (tx) => {
      const orgId = newId('org', now)
      await tx.insert(orgs).values({ id: orgId, name: 'default', createdAt: now })
      const { row, secret } = await insertToken(tx, now, {
        orgId,
        name: 'bootstrap',
        role: 'admin',
        instanceAdmin: true,
        secret: presetToken,
      })
      await recordAudit(tx, { id: 'system', orgId }, now, {
        action: 'token.created',
        objectType: 'token',
        objectId: row.id,
        details: { bootstrap: true },
      })
      return secret
    })
    return presetToken === undefined ? { created: true, generatedToken: secret } : { created: true }
  } catch (error) {
    if (isUniqueViolation(error)) return { created: false }
    throw error
  }
}
