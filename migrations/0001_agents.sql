CREATE TABLE `agent_nonces` (
	`agent_id` text NOT NULL,
	`nonce` text NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`agent_id`, `nonce`)
);
--> statement-breakpoint
CREATE INDEX `agent_nonces_expiry_idx` ON `agent_nonces` (`expires_at`);--> statement-breakpoint
CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`site_id` text NOT NULL,
	`identity_public_key` text NOT NULL,
	`wireguard_public_key` text NOT NULL,
	`hostname` text NOT NULL,
	`agent_version` text NOT NULL,
	`enrolled_at` integer NOT NULL,
	`revoked_at` integer,
	`last_seen_at` integer,
	`uptime_seconds` integer,
	`applied_revision` integer,
	`uplink_states` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agents_active_site_uq` ON `agents` (`site_id`) WHERE revoked_at IS NULL;--> statement-breakpoint
CREATE INDEX `agents_org_idx` ON `agents` (`org_id`,`id`);--> statement-breakpoint
CREATE INDEX `agents_identity_idx` ON `agents` (`identity_public_key`);--> statement-breakpoint
CREATE TABLE `enrollment_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`site_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`expires_at` integer NOT NULL,
	`max_uses` integer NOT NULL,
	`uses` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `enrollment_tokens_token_hash_unique` ON `enrollment_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `enrollment_tokens_site_idx` ON `enrollment_tokens` (`site_id`,`id`);--> statement-breakpoint
ALTER TABLE `orgs` ADD `overlay_offset` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sites` ADD `overlay_address` text;--> statement-breakpoint
ALTER TABLE `sites` ADD `config_revision` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE INDEX `sites_org_role_idx` ON `sites` (`org_id`,`role`);--> statement-breakpoint
CREATE UNIQUE INDEX `sites_org_overlay_uq` ON `sites` (`org_id`,`overlay_address`);