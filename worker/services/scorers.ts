/**
 * Scorer plugins: WebAssembly components of the `patronus:scorer` world that `custom`
 * policies name. Operators upload one per name (PUT replaces the version), agents fetch the
 * bytes of the version their desired state names (GET /v1/agent/scorers/{id}).
 *
 * Referential integrity both ways, so an agent is never told to run a plugin that does not
 * exist: a policy write naming an unknown scorer is refused (422, services/policies.ts), and
 * deleting a scorer that a policy names is refused (409). Uploading a new version bumps the
 * revision of every site a policy naming it applies to, which is what makes agents fetch it.
 *
 * Uploads are checked structurally (wasm/plugin/component-check.ts: a component of the right
 * world with no host imports) in both runtimes; agents check the plugin again when they
 * instantiate it, which is also where anything the structural check leaves unchecked fails.
 */
import { and, asc, eq, gt, sql } from 'drizzle-orm'
import { newId } from '../../protocol/ids'
import type { PolicyMatch } from '../../protocol/policy'
import { checkScorerComponent } from '../../wasm/plugin/component-check'
import { isoTime } from '../api/common'
import type { DbOrTx } from '../db/client'
import { policies, scorers, sites } from '../db/schema'
import { conflict, invalid, notFound, ProblemError } from '../errors'
import type { AgentRow } from './agent-auth'
import { recordAudit } from './audit'
import { type Actor, announce, type ServiceContext } from './context'
import { policyAppliesTo } from './desired-state'
import { decodeCursor, type PageRequest, toPage } from './pagination'
import { assertScorerQuota, DEFAULT_QUOTAS } from './quotas'
import { bumpOrg, bumpSites } from './revisions'

export interface ScorerView {
  name: string
  /** This version's id: new on every upload that changes the bytes. */
  id: string
  sha256: string
  size: number
  /** When this version was uploaded (ISO 8601). */
  createdAt: string
}

const META = {
  id: scorers.id,
  name: scorers.name,
  sha256: scorers.sha256,
  size: scorers.size,
  createdAt: scorers.createdAt,
}

type ScorerMeta = { id: string; name: string; sha256: string; size: number; createdAt: number }

const toView = (row: ScorerMeta): ScorerView => ({
  name: row.name,
  id: row.id,
  sha256: row.sha256,
  size: row.size,
  createdAt: isoTime(row.createdAt)!,
})

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>),
  )
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')
}

async function findMeta(tx: DbOrTx, orgId: string, name: string): Promise<ScorerMeta | undefined> {
  const [row] = await tx
    .select(META)
    .from(scorers)
    .where(and(eq(scorers.orgId, orgId), eq(scorers.name, name)))
  return row
}

/** Names of the org's policies that name `name` as their scorer. */
async function policiesNaming(
  tx: DbOrTx,
  orgId: string,
  name: string,
): Promise<{ name: string; match: PolicyMatch }[]> {
  const rows = await tx
    .select({ name: policies.name, match: policies.match })
    .from(policies)
    .where(
      and(eq(policies.orgId, orgId), sql`json_extract(${policies.action}, '$.scorer') = ${name}`),
    )
  return rows.map((r) => ({ name: r.name, match: r.match as PolicyMatch }))
}

/** Bumps the sites a policy naming the scorer applies to (by its siteLabels). */
async function bumpSitesUsing(tx: DbOrTx, orgId: string, name: string): Promise<string[]> {
  const naming = await policiesNaming(tx, orgId, name)
  if (naming.length === 0) return []
  if (naming.some((p) => Object.keys(p.match.siteLabels ?? {}).length === 0)) {
    return bumpOrg(tx, orgId)
  }
  const rows = await tx
    .select({ id: sites.id, labels: sites.labels })
    .from(sites)
    .where(eq(sites.orgId, orgId))
  const using = rows.filter((s) => naming.some((p) => policyAppliesTo(p.match, s.labels)))
  return bumpSites(
    tx,
    using.map((s) => s.id),
  )
}

export interface PutResult {
  scorer: ScorerView
  /** 'created': a new name; 'replaced': new bytes under a name; 'unchanged': the same bytes. */
  outcome: 'created' | 'replaced' | 'unchanged'
}

export async function putScorer(
  ctx: ServiceContext,
  actor: Actor,
  name: string,
  bytes: Uint8Array,
): Promise<PutResult> {
  if (bytes.length === 0) {
    throw invalid([{ path: '', message: 'the body is empty: send the component bytes' }])
  }
  const check = checkScorerComponent(bytes)
  if (!check.ok) {
    throw new ProblemError('validation-failed', check.message, {
      errors: [{ path: '', message: check.message }],
      reason: check.code,
    })
  }
  const sha256 = await sha256Hex(bytes)
  const now = ctx.clock.now()
  const id = newId('scorer', now)
  const version = { id, sha256, size: bytes.length, bytes: toBuffer(bytes), createdAt: now }
  const { result, bumped } = await ctx.db.transaction(async (tx) => {
    const existing = await findMeta(tx, actor.orgId, name)
    if (existing?.sha256 === sha256) {
      return { result: { scorer: toView(existing), outcome: 'unchanged' as const }, bumped: [] }
    }
    if (existing) {
      await tx.update(scorers).set(version).where(eq(scorers.id, existing.id))
    } else {
      await assertScorerQuota(tx, actor.orgId, ctx.quotas ?? DEFAULT_QUOTAS)
      await tx.insert(scorers).values({ ...version, orgId: actor.orgId, name })
    }
    await recordAudit(tx, actor, now, {
      action: existing ? 'scorer.replaced' : 'scorer.created',
      objectType: 'scorer',
      objectId: id,
      details: {
        name,
        sha256,
        size: bytes.length,
        ...(existing ? { previousId: existing.id } : {}),
      },
    })
    return {
      result: {
        scorer: toView({ ...version, name }),
        outcome: existing ? ('replaced' as const) : ('created' as const),
      },
      bumped: existing ? await bumpSitesUsing(tx, actor.orgId, name) : [],
    }
  })
  announce(ctx, bumped)
  return result
}

export async function listScorers(ctx: ServiceContext, actor: Actor, page: PageRequest) {
  const after = decodeCursor(page.cursor)
  const rows = await ctx.db
    .select(META)
    .from(scorers)
    .where(and(eq(scorers.orgId, actor.orgId), after ? gt(scorers.id, after) : undefined))
    .orderBy(asc(scorers.id))
    .limit(page.limit + 1)
  return toPage(rows, page.limit, toView)
}

export async function getScorer(ctx: ServiceContext, actor: Actor, name: string) {
  const row = await findMeta(ctx.db, actor.orgId, name)
  if (!row) throw notFound('scorer', name)
  return toView(row)
}

export async function deleteScorer(ctx: ServiceContext, actor: Actor, name: string) {
  const now = ctx.clock.now()
  await ctx.db.transaction(async (tx) => {
    const row = await findMeta(tx, actor.orgId, name)
    if (!row) throw notFound('scorer', name)
    const naming = await policiesNaming(tx, actor.orgId, name)
    if (naming.length > 0) {
      throw conflict(
        `scorer ${name} is used by ${naming.length === 1 ? 'policy' : 'policies'} ${naming.map((p) => `"${p.name}"`).join(', ')}: change or delete them first`,
        { policies: naming.map((p) => p.name) },
      )
    }
    await tx.delete(scorers).where(eq(scorers.id, row.id))
    await recordAudit(tx, actor, now, {
      action: 'scorer.deleted',
      objectType: 'scorer',
      objectId: row.id,
      details: { name, sha256: row.sha256 },
    })
  })
}

/** The component bytes of a scorer version of the agent's org. */
export async function scorerBytesForAgent(
  ctx: ServiceContext,
  agent: Pick<AgentRow, 'orgId'>,
  id: string,
): Promise<Uint8Array> {
  const [row] = await ctx.db
    .select({ bytes: scorers.bytes })
    .from(scorers)
    .where(and(eq(scorers.id, id), eq(scorers.orgId, agent.orgId)))
  if (!row) throw notFound('scorer', id)
  return new Uint8Array(row.bytes)
}

/**
 * Refuses a policy action naming a scorer the org does not have (in the policy write's
 * transaction, so a concurrent delete cannot slip between the check and the write).
 */
export async function assertScorerExists(
  tx: DbOrTx,
  orgId: string,
  action: { preference?: string; scorer?: string | undefined } | undefined,
): Promise<void> {
  if (action?.preference !== 'custom' || !action.scorer) return
  if (await findMeta(tx, orgId, action.scorer)) return
  throw invalid([
    {
      path: 'action.scorer',
      message: `no scorer plugin named "${action.scorer}" in this org: upload it first (PUT /v1/scorers/${action.scorer})`,
    },
  ])
}

/** drizzle's blob column (buffer mode) takes a Buffer (nodejs_compat provides it on Workers). */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
