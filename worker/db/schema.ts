/**
 * The control plane's tables (drizzle sqlite-core, run on libSQL). Every business table
 * carries `org_id` so that every query can be scoped by org; `version` counts updates and
 * is the source of ETags. Times are epoch milliseconds. JSON columns hold values that
 * are validated by the API's zod schemas before they are written.
 */
import { sql } from 'drizzle-orm'
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

export const orgs = sqliteTable('orgs', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  topology: text('topology', { enum: ['mesh', 'hub-and-spoke'] })
    .notNull()
    .default('mesh'),
  overlayPool: text('overlay_pool').notNull().default('100.64.0.0/10'),
  /** IPAM cursor: the last host offset handed out in the overlay pool. */
  overlayOffset: integer('overlay_offset').notNull().default(0),
  createdAt: integer('created_at').notNull(),
  version: integer('version').notNull().default(1),
})

export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id),
    name: text('name').notNull(),
    role: text('role', { enum: ['admin', 'operator', 'viewer'] }).notNull(),
    instanceAdmin: integer('instance_admin', { mode: 'boolean' }).notNull().default(false),
    /** SHA-256 of the token, hex. The token itself is shown once and never stored. */
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('api_tokens_org_idx').on(t.orgId, t.id)],
)

export const sites = sqliteTable(
  'sites',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id),
    name: text('name').notNull(),
    region: text('region'),
    role: text('role', { enum: ['hub', 'spoke', 'mesh'] })
      .notNull()
      .default('mesh'),
    /** Normalised LAN CIDRs (JSON array of strings). */
    prefixes: text('prefixes', { mode: 'json' }).$type<string[]>().notNull(),
    labels: text('labels', { mode: 'json' }).$type<Record<string, string>>().notNull(),
    /** The site's stable address in the org's overlay pool (IPAM). */
    overlayAddress: text('overlay_address'),
    /**
     * Revision of the site's desired state (the agent's ETag). Bumped only when something
     * in that site's config changes, so agents of unaffected sites are not woken.
     */
    configRevision: integer('config_revision').notNull().default(1),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    uniqueIndex('sites_org_name_uq').on(t.orgId, t.name),
    index('sites_org_id_idx').on(t.orgId, t.id),
    index('sites_org_role_idx').on(t.orgId, t.role),
    uniqueIndex('sites_org_overlay_uq').on(t.orgId, t.overlayAddress),
  ],
)

/**
 * One row per LAN prefix of a site, as a fixed-width hex range, so that "does this prefix
 * overlap another site's?" is one indexed range query instead of a scan of the org.
 */
export const sitePrefixes = sqliteTable(
  'site_prefixes',
  {
    siteId: text('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    orgId: text('org_id').notNull(),
    family: integer('family').notNull(),
    cidr: text('cidr').notNull(),
    rangeStart: text('range_start').notNull(),
    rangeEnd: text('range_end').notNull(),
  },
  (t) => [
    index('site_prefixes_range_idx').on(t.orgId, t.family, t.rangeStart),
    index('site_prefixes_site_idx').on(t.siteId),
  ],
)

export const uplinks = sqliteTable(
  'uplinks',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull(),
    siteId: text('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** Per-site slot (0..15): fixes the WireGuard interface pairing of the path model. */
    slot: integer('slot').notNull(),
    interface: text('interface').notNull(),
    endpoint: text('endpoint'),
    bandwidthMbps: integer('bandwidth_mbps'),
    costPerGb: text('cost_per_gb', { mode: 'json' }).$type<number | null>(),
    priority: integer('priority').notNull().default(100),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    uniqueIndex('uplinks_site_name_uq').on(t.siteId, t.name),
    uniqueIndex('uplinks_site_slot_uq').on(t.siteId, t.slot),
    index('uplinks_org_idx').on(t.orgId),
  ],
)

export const policies = sqliteTable(
  'policies',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id),
    name: text('name').notNull(),
    priority: integer('priority').notNull(),
    match: text('match', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    action: text('action', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    uniqueIndex('policies_org_priority_uq').on(t.orgId, t.priority),
    uniqueIndex('policies_org_name_uq').on(t.orgId, t.name),
  ],
)

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull(),
    /** The API token (or agent) that made the change. */
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    objectType: text('object_type').notNull(),
    objectId: text('object_id').notNull(),
    at: integer('at').notNull(),
    details: text('details', { mode: 'json' }).$type<Record<string, unknown>>(),
  },
  (t) => [index('audit_log_org_idx').on(t.orgId, t.id)],
)

/** One-time (or few-time) tokens that let an agent join a given site. Stored hashed. */
export const enrollmentTokens = sqliteTable(
  'enrollment_tokens',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull(),
    siteId: text('site_id').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    expiresAt: integer('expires_at').notNull(),
    maxUses: integer('max_uses').notNull(),
    uses: integer('uses').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('enrollment_tokens_site_idx').on(t.siteId, t.id)],
)

/**
 * Agents: one active (not revoked) per site. Only public keys are stored: the identity
 * key verifies request signatures, the WireGuard key goes to peers.
 */
export const agents = sqliteTable(
  'agents',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull(),
    siteId: text('site_id').notNull(),
    identityPublicKey: text('identity_public_key').notNull(),
    wireguardPublicKey: text('wireguard_public_key').notNull(),
    hostname: text('hostname').notNull(),
    agentVersion: text('agent_version').notNull(),
    enrolledAt: integer('enrolled_at').notNull(),
    revokedAt: integer('revoked_at'),
    lastSeenAt: integer('last_seen_at'),
    uptimeSeconds: integer('uptime_seconds'),
    appliedRevision: integer('applied_revision'),
    uplinkStates: text('uplink_states', { mode: 'json' }).$type<
      { name: string; state: string }[]
    >(),
  },
  (t) => [
    uniqueIndex('agents_active_site_uq').on(t.siteId).where(sql`revoked_at IS NULL`),
    index('agents_org_idx').on(t.orgId, t.id),
    index('agents_identity_idx').on(t.identityPublicKey),
  ],
)

/** Nonces of recent agent requests: a second use within the skew window is a replay. */
export const agentNonces = sqliteTable(
  'agent_nonces',
  {
    agentId: text('agent_id').notNull(),
    nonce: text('nonce').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.agentId, t.nonce] }),
    index('agent_nonces_expiry_idx').on(t.expiresAt),
  ],
)
