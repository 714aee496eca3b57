/**
 * Overlay IPAM: every site gets one stable address in its org's overlay pool (default
 * 100.64.0.0/10). Addresses are handed out in order from a per-org cursor, inside the
 * caller's write transaction, so concurrent enrollments never get the same one (and a
 * unique index on (org, address) guards it anyway). Addresses of deleted sites are not
 * reused while the pool lasts, so a stale peer route never points at a new site.
 */
import { eq } from 'drizzle-orm'
import { formatIp, parseCidr } from '../../protocol/net'
import type { DbOrTx } from '../db/client'
import { orgs } from '../db/schema'
import { conflict, notFound } from '../errors'

export async function allocateOverlayAddress(tx: DbOrTx, orgId: string): Promise<string> {
  const [org] = await tx
    .select({ pool: orgs.overlayPool, offset: orgs.overlayOffset })
    .from(orgs)
    .where(eq(orgs.id, orgId))
  if (!org) throw notFound('org', orgId)
  const pool = parseCidr(org.pool)!
  // Offsets 1 .. size-2: the network and broadcast addresses are never handed out.
  const usable = 2 ** (32 - pool.length) - 2
  const offset = org.offset + 1
  if (offset > usable) {
    throw conflict(`the overlay pool ${org.pool} of this org is exhausted (${usable} addresses)`)
  }
  await tx.update(orgs).set({ overlayOffset: offset }).where(eq(orgs.id, orgId))
  return formatIp(4, pool.network + BigInt(offset))
}
