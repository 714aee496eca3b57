/**
 * Recovery of the instance-admin role (docs/security.md, finding 6): `npm run admin -- reset-token`
 * (scripts/admin.ts) creates a new instance-admin token in org `default`, as bootstrap does
 * on first start. The API refuses to revoke the last such token, but a lost token, a
 * leaked one or a database restored without one must still be recoverable; this path
 * needs the database itself, i.e. access to the host, which an API token never grants.
 */
import { and, eq, isNull, ne } from 'drizzle-orm'
import { apiTokens, orgs } from '../db/schema'
import { recordAudit } from './audit'
import type { ServiceContext } from './context'
import { insertToken } from './tokens'

/** The org bootstrap creates; instance-admin tokens live there. */
export const DEFAULT_ORG_NAME = 'default'
export const DEFAULT_RESET_TOKEN_NAME = 'admin-reset'
/** Who the audit log says acted: nobody with a token, the host's operator. */
const CLI_ACTOR = 'system:admin-cli'

export interface ResetTokenOptions {
  name?: string | undefined
  /** Also revoke every other instance-admin token (a leaked one, say). */
  revokeOthers?: boolean | undefined
}

export interface ResetTokenResult {
  orgId: string
  tokenId: string
  /** Shown once; only its hash is stored. */
  token: string
  /** Ids of the instance-admin tokens revoked with --revoke-others. */
  revoked: string[]
}

export class NoDefaultOrgError extends Error {
  constructor() {
    super(
      `the database has no org "${DEFAULT_ORG_NAME}": it was never started; run npm start once (it bootstraps an instance-admin token)`,
    )
    this.name = 'NoDefaultOrgError'
  }
}

export async function resetInstanceAdminToken(
  ctx: ServiceContext,
  options: ResetTokenOptions = {},
): Promise<ResetTokenResult> {
  const now = ctx.clock.now()
  const name = options.name ?? DEFAULT_RESET_TOKEN_NAME
  return ctx.db.transaction(async (tx) => {
    const [org] = await tx.select({ id: orgs.id }).from(orgs).where(eq(orgs.name, DEFAULT_ORG_NAME))
    if (!org) throw new NoDefaultOrgError()
    const actor = { id: CLI_ACTOR, orgId: org.id }
    const { row, secret } = await insertToken(tx, now, {
      orgId: org.id,
      name,
      role: 'admin',
      instanceAdmin: true,
    })
    await recordAudit(tx, actor, now, {
      action: 'token.created',
      objectType: 'token',
      objectId: row.id,
      details: { role: 'admin', instanceAdmin: true, via: 'admin reset-token' },
    })
    const revoked = options.revokeOthers
      ? await tx
          .update(apiTokens)
          .set({ revokedAt: now })
          .where(
            and(
              eq(apiTokens.instanceAdmin, true),
              isNull(apiTokens.revokedAt),
              ne(apiTokens.id, row.id),
            ),
          )
          .returning({ id: apiTokens.id, orgId: apiTokens.orgId })
      : []
    for (const token of revoked) {
      await recordAudit(
        tx,
        actor,
        now,
        {
          action: 'token.revoked',
          objectType: 'token',
          objectId: token.id,
          details: { via: 'admin reset-token --revoke-others' },
        },
        token.orgId,
      )
    }
    return { orgId: org.id, tokenId: row.id, token: secret, revoked: revoked.map((t) => t.id) }
  })
}
