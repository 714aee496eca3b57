/**
 * The control plane's tables (drizzle sqlite-core, run on libSQL). Every business table
 * carries `org_id` so that every query can be scoped by org; `version` counts updates and
 * is the source of ETags. Times are epoch milliseconds. JSON columns hold values that
 * are validated by the API's zod schemas before they are written.
 */
import { sql } from 'drizzle-orm'
import {
  blob,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core'
import type { ApplicationPort } from '../../protocol/applications'

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
    // With id last, a spoke's "hubs of my org, by id" (desired-state.ts) reads only the
    // hubs; on (org_id, role) alone SQLite preferred sites_org_id_idx to skip the sort and
    // walked every site of the org on each config fetch.
    index('sites_org_role_idx').on(t.orgId, t.role, t.id),
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

/**
 * An org's own applications (protocol/applications.ts): what policies may name beside the
 * builtin and default ones. `name` is the key operators and policies use.
 */
export const applications = sqliteTable(
  'applications',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id),
    name: text('name').notNull(),
    /** [{protocol: 'tcp' | 'udp', ports: '443' | '8000-8100'}] */
    ports: text('ports', { mode: 'json' }).$type<ApplicationPort[]>().notNull(),
    /** SNI / Host name suffixes, lowercase. */
    names: text('names', { mode: 'json' }).$type<string[]>().notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    uniqueIndex('applications_org_name_uq').on(t.orgId, t.name),
    index('applications_org_id_idx').on(t.orgId, t.id),
  ],
)

/**
 * Scorer plugins (the `custom` path preference): per org and name, the current version's
 * WebAssembly component bytes. An upload under an existing name replaces the version in place:
 * a new id (what desired states name and agents fetch), hash, size and bytes, so an id always
 * stands for one immutable set of bytes. Listing reads every column but `bytes`.
 */
export const scorers = sqliteTable(
  'scorers',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id),
    name: text('name').notNull(),
    /** SHA-256 of `bytes`, lowercase hex: what agents check before they load the plugin. */
    sha256: text('sha256').notNull(),
    size: integer('size').notNull(),
    bytes: blob('bytes', { mode: 'buffer' }).notNull(),
    /** When this version was uploaded. */
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('scorers_org_name_uq').on(t.orgId, t.name)],
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
 * key verifies request signatures, the WireGuard key goes to peers. A WireGuard key
 * belongs to at most one active agent (peers key their entries by it); a revoked agent's
 * key may be enrolled again.
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
    uniqueIndex('agents_active_wg_key_uq').on(t.wireguardPublicKey).where(sql`revoked_at IS NULL`),
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

/**
 * What a site's eBPF classifier saw (docs/qos.md): one-minute rollups of the agents' deltas per
 * policy class (kind `class`, name = policy id or `default`) and per application (kind
 * `application`). Sums, like path_rollups_1m, so any coarser step aggregates exactly.
 */
export const trafficRollups = sqliteTable(
  'traffic_rollups_1m',
  {
    siteId: text('site_id').notNull(),
    kind: text('kind', { enum: ['class', 'application'] }).notNull(),
    name: text('name').notNull(),
    minute: integer('minute').notNull(),
    packets: integer('packets').notNull(),
    bytes: integer('bytes').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.siteId, t.kind, t.name, t.minute] }),
    index('traffic_rollups_site_minute_idx').on(t.siteId, t.minute),
    index('traffic_rollups_minute_idx').on(t.minute),
  ],
)

/**
 * Webhook endpoints (docs/webhooks.md). The signing secret must be kept in clear to compute HMACs;
 * it is returned only by create and rotate-secret. During a rotation the previous secret
 * keeps signing (a second signature) until `previous_secret_expires_at`.
 */
export const webhookEndpoints = sqliteTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull(),
    url: text('url').notNull(),
    description: text('description'),
    /** Message types delivered (event types, `alert.firing`, `alert.resolved`, or `*`). */
    eventTypes: text('event_types', { mode: 'json' }).$type<string[]>().notNull(),
    format: text('format', { enum: ['json', 'slack'] }).notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull(),
    secret: text('secret').notNull(),
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: integer('previous_secret_expires_at'),
    /** Deliveries in a row that ended in a final failure; 20 disables the endpoint. */
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    disabledAt: integer('disabled_at'),
    disabledReason: text('disabled_reason'),
    /**
     * After a retryable failure no delivery to this endpoint is attempted before this
     * time, so its other queued deliveries do not each try it in turn (docs/security.md,
     * finding 4).
     */
    heldUntil: integer('held_until'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    version: integer('version').notNull().default(1),
  },
  (t) => [index('webhook_endpoints_org_idx').on(t.orgId, t.id)],
)

/**
 * The webhook outbox: one row per (message, endpoint), written in the transaction that
 * produced the message. The id is the `webhook-id` header, stable across retries. An
 * attempt is claimed by a conditional UPDATE of the lease, so two dispatchers never send
 * the same row at once and a crashed one's lease simply expires.
 */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull(),
    endpointId: text('endpoint_id').notNull(),
    messageType: text('message_type').notNull(),
    eventId: text('event_id'),
    alertId: text('alert_id'),
    /** The exact body sent on every attempt. */
    payload: text('payload').notNull(),
    status: text('status', { enum: ['pending', 'succeeded', 'failed', 'cancelled'] }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at'),
    /** No retry is scheduled after this time (24 h after the first attempt was due). */
    retryUntil: integer('retry_until').notNull(),
    leaseOwner: text('lease_owner'),
    leaseUntil: integer('lease_until'),
    lastAttemptAt: integer('last_attempt_at'),
    lastStatusCode: integer('last_status_code'),
    lastLatencyMs: integer('last_latency_ms'),
    lastError: text('last_error'),
    createdAt: integer('created_at').notNull(),
    completedAt: integer('completed_at'),
  },
  (t) => [
    index('webhook_deliveries_due_idx').on(t.status, t.nextAttemptAt),
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.id),
  ],
)

/** Alert rules: on events (type, site, severity) or on path metrics over a window. */
export const alertRules = sqliteTable(
  'alert_rules',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull(),
    name: text('name').notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull(),
    kind: text('kind', { enum: ['event', 'metric'] }).notNull(),
    eventTypes: text('event_types', { mode: 'json' }).$type<string[]>().notNull(),
    siteIds: text('site_ids', { mode: 'json' }).$type<string[] | null>(),
    siteSelector: text('site_selector'),
    minSeverity: text('min_severity', { enum: ['info', 'warning', 'critical'] }).notNull(),
    metric: text('metric', { mode: 'json' }).$type<{
      name: 'lossPct' | 'rttMs' | 'jitterMs' | 'mos'
      op: 'gt' | 'lt'
      threshold: number
      windowSeconds: number
    } | null>(),
    severity: text('severity', { enum: ['info', 'warning', 'critical'] }).notNull(),
    resolveAfterSeconds: integer('resolve_after_seconds'),
    repeatIntervalSeconds: integer('repeat_interval_seconds'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    index('alert_rules_org_idx').on(t.orgId, t.id),
    uniqueIndex('alert_rules_org_name_uq').on(t.orgId, t.name),
  ],
)

/**
 * Alerts: one row per incident (rule + incident key). At most one firing row per key (the
 * partial unique index), so concurrent evaluators cannot open the same incident twice.
 */
export const alerts = sqliteTable(
  'alerts',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull(),
    ruleId: text('rule_id').notNull(),
    incidentKey: text('incident_key').notNull(),
    siteId: text('site_id'),
    status: text('status', { enum: ['firing', 'resolved'] }).notNull(),
    severity: text('severity', { enum: ['info', 'warning', 'critical'] }).notNull(),
    summary: text('summary').notNull(),
    details: text('details', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    eventCount: integer('event_count').notNull().default(1),
    startedAt: integer('started_at').notNull(),
    lastEventAt: integer('last_event_at').notNull(),
    autoResolveAt: integer('auto_resolve_at'),
    resolvedAt: integer('resolved_at'),
    ackedAt: integer('acked_at'),
    ackedBy: text('acked_by'),
    /** Last firing notification enqueued; null while silenced (nothing was sent yet). */
    notifiedAt: integer('notified_at'),
  },
  (t) => [
    uniqueIndex('alerts_open_uq').on(t.ruleId, t.incidentKey).where(sql`status = 'firing'`),
    index('alerts_org_idx').on(t.orgId, t.id),
    index('alerts_status_idx').on(t.status, t.orgId),
  ],
)

/** Silences: mute alert notifications matching a rule and/or sites until `ends_at`. */
export const silences = sqliteTable(
  'silences',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull(),
    ruleId: text('rule_id'),
    siteIds: text('site_ids', { mode: 'json' }).$type<string[] | null>(),
    siteSelector: text('site_selector'),
    comment: text('comment').notNull(),
    startsAt: integer('starts_at').notNull(),
    endsAt: integer('ends_at').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('silences_org_idx').on(t.orgId, t.endsAt)],
)
