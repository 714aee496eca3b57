/**
 * The control plane's tables (drizzle sqlite-core, run on libSQL). Every business table
 * carries `org_id` so that every query can be scoped by org; `version` counts updates and
 * is the source of ETags. Times are epoch milliseconds. JSON columns hold values that
 * are validated by the API's zod schemas before they are written.
 */
import { sql } from 'drizzle-orm'
import {
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core'

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
    /** Last presence announced as an event, so agent.online/offline fire once per change. */
    presence: text('presence', { enum: ['online', 'offline'] }),
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

/** Events: path and agent incidents reported by agents or raised by the control plane. */
export const events = sqliteTable(
  'events',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull(),
    siteId: text('site_id'),
    type: text('type').notNull(),
    severity: text('severity', { enum: ['info', 'warning', 'critical'] }).notNull(),
    /** When it happened (agent clock for agent events), epoch ms. */
    at: integer('at').notNull(),
    source: text('source', { enum: ['agent', 'control-plane', 'operator'] }).notNull(),
    details: text('details', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    index('events_org_idx').on(t.orgId, t.id),
    index('events_org_type_idx').on(t.orgId, t.type, t.id),
    index('events_site_idx').on(t.siteId, t.id),
  ],
)

/** The latest summary of every path of a site (one row per path). */
export const pathStates = sqliteTable(
  'path_states',
  {
    siteId: text('site_id').notNull(),
    peerSiteId: text('peer_site_id').notNull(),
    localSlot: integer('local_slot').notNull(),
    remoteSlot: integer('remote_slot').notNull(),
    state: text('state', { enum: ['up', 'down'] }).notNull(),
    rttMs: real('rtt_ms'),
    jitterMs: real('jitter_ms'),
    lossPct: real('loss_pct').notNull(),
    mos: real('mos'),
    at: integer('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.peerSiteId, t.localSlot, t.remoteSlot] })],
)

/** Which path each traffic class of a site is on, and why (as the agent last reported). */
export const activePaths = sqliteTable(
  'active_paths',
  {
    siteId: text('site_id').notNull(),
    class: text('class').notNull(),
    peerSiteId: text('peer_site_id').notNull(),
    localSlot: integer('local_slot').notNull(),
    remoteSlot: integer('remote_slot').notNull(),
    reason: text('reason').notNull(),
    since: integer('since').notNull(),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.class, t.peerSiteId] })],
)

/**
 * One-minute rollups of path summaries: sums and extremes, so that any coarser step is an
 * aggregate of these rows. Kept for ROLLUP_RETENTION_DAYS (services/telemetry.ts).
 */
export const pathRollups = sqliteTable(
  'path_rollups_1m',
  {
    siteId: text('site_id').notNull(),
    peerSiteId: text('peer_site_id').notNull(),
    localSlot: integer('local_slot').notNull(),
    remoteSlot: integer('remote_slot').notNull(),
    minute: integer('minute').notNull(),
    samples: integer('samples').notNull(),
    downSamples: integer('down_samples').notNull(),
    rttSum: real('rtt_sum').notNull(),
    rttCount: integer('rtt_count').notNull(),
    rttMax: real('rtt_max'),
    jitterSum: real('jitter_sum').notNull(),
    lossSum: real('loss_sum').notNull(),
    mosSum: real('mos_sum').notNull(),
    mosCount: integer('mos_count').notNull(),
    mosMin: real('mos_min'),
  },
  (t) => [
    primaryKey({ columns: [t.siteId, t.peerSiteId, t.localSlot, t.remoteSlot, t.minute] }),
    index('path_rollups_site_minute_idx').on(t.siteId, t.minute),
    index('path_rollups_minute_idx').on(t.minute),
  ],
)
