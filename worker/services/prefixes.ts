/**
 * LAN prefix rules for sites: no two sites of an org may overlap (traffic to an address
 * must have exactly one destination site), a site's own prefixes may not overlap each
 * other, and none may overlap the org's overlay pool. Prefixes are stored as fixed-width
 * hex ranges; since the stored ranges never overlap, the only candidate for an overlap
 * is the range with the greatest start <= the new range's end: one indexed lookup.
 */
import { and, desc, eq, lte } from 'drizzle-orm'
import {
  type Cidr,
  cidrRange,
  cidrsOverlap,
  formatCidr,
  parseCidr,
  toSortableHex,
} from '../../protocol/net'
import type { DbOrTx } from '../db/client'
import { sitePrefixes, sites } from '../db/schema'
import { conflict, type FieldError, invalid } from '../errors'

export function checkOwnPrefixes(prefixes: string[], overlayPool: string): Cidr[] {
  const parsed = prefixes.map((p) => parseCidr(p)!)
  const pool = parseCidr(overlayPool)!
  const errors: FieldError[] = []
  parsed.forEach((cidr, i) => {
    if (cidrsOverlap(cidr, pool)) {
      errors.push({ path: `prefixes.${i}`, message: `overlaps the overlay pool ${overlayPool}` })
    }
    for (let j = 0; j < i; j++) {
      if (cidrsOverlap(cidr, parsed[j]!)) {
        errors.push({ path: `prefixes.${i}`, message: `overlaps prefixes.${j} (${prefixes[j]})` })
      }
    }
  })
  if (errors.length > 0) throw invalid(errors)
  return parsed
}

/** Throws a 409 naming the other site when a prefix overlaps one of another site's. */
export async function assertNoForeignOverlap(tx: DbOrTx, orgId: string, cidrs: Cidr[]) {
  for (const cidr of cidrs) {
    const { start, end } = cidrRange(cidr)
    const [candidate] = await tx
      .select({
        cidr: sitePrefixes.cidr,
        rangeEnd: sitePrefixes.rangeEnd,
        siteId: sitePrefixes.siteId,
        siteName: sites.name,
      })
      .from(sitePrefixes)
      .innerJoin(sites, eq(sites.id, sitePrefixes.siteId))
      .where(
        and(
          eq(sitePrefixes.orgId, orgId),
          eq(sitePrefixes.family, cidr.family),
          lte(sitePrefixes.rangeStart, toSortableHex(cidr.family, end)),
        ),
      )
      .orderBy(desc(sitePrefixes.rangeStart))
      .limit(1)
    if (candidate && candidate.rangeEnd >= toSortableHex(cidr.family, start)) {
      throw conflict(
        `prefix ${formatCidr(cidr)} overlaps ${candidate.cidr} of site ${candidate.siteName}`,
        { field: 'prefixes', conflictingSiteId: candidate.siteId },
      )
    }
  }
}

export async function replaceSitePrefixes(
  tx: DbOrTx,
  orgId: string,
  siteId: string,
  cidrs: Cidr[],
) {
  await tx.delete(sitePrefixes).where(eq(sitePrefixes.siteId, siteId))
  await assertNoForeignOverlap(tx, orgId, cidrs)
  if (cidrs.length === 0) return
  await tx.insert(sitePrefixes).values(
    cidrs.map((cidr) => {
      const { start, end } = cidrRange(cidr)
      return {
        siteId,
        orgId,
        family: cidr.family,
        cidr: formatCidr(cidr),
        rangeStart: toSortableHex(cidr.family, start),
        rangeEnd: toSortableHex(cidr.family, end),
      }
    }),
  )
}
