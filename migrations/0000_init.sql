CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`instance_admin` integer DEFAULT false NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_token_hash_unique` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `api_tokens_org_idx` ON `api_tokens` (`org_id`,`id`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`object_type` text NOT NULL,
	`object_id` text NOT NULL,
	`at` integer NOT NULL,
	`details` text
);
--> statement-breakpoint
CREATE INDEX `audit_log_org_idx` ON `audit_log` (`org_id`,`id`);--> statement-breakpoint
CREATE TABLE `orgs` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`topology` text DEFAULT 'mesh' NOT NULL,
	`overlay_pool` text DEFAULT '100.64.0.0/10' NOT NULL,
	`created_at` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `orgs_name_unique` ON `orgs` (`name`);--> statement-breakpoint
CREATE TABLE `policies` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`priority` integer NOT NULL,
	`match` text NOT NULL,
	`action` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `policies_org_priority_uq` ON `policies` (`org_id`,`priority`);--> statement-breakpoint
CREATE UNIQUE INDEX `policies_org_name_uq` ON `policies` (`org_id`,`name`);--> statement-breakpoint
CREATE TABLE `site_prefixes` (
	`site_id` text NOT NULL,
	`org_id` text NOT NULL,
	`family` integer NOT NULL,
	`cidr` text NOT NULL,
	`range_start` text NOT NULL,
	`range_end` text NOT NULL,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `site_prefixes_range_idx` ON `site_prefixes` (`org_id`,`family`,`range_start`);--> statement-breakpoint
CREATE INDEX `site_prefixes_site_idx` ON `site_prefixes` (`site_id`);--> statement-breakpoint
CREATE TABLE `sites` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`region` text,
	`role` text DEFAULT 'mesh' NOT NULL,
	`prefixes` text NOT NULL,
	`labels` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sites_org_name_uq` ON `sites` (`org_id`,`name`);--> statement-breakpoint
CREATE INDEX `sites_org_id_idx` ON `sites` (`org_id`,`id`);--> statement-breakpoint
CREATE TABLE `uplinks` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`site_id` text NOT NULL,
	`name` text NOT NULL,
	`slot` integer NOT NULL,
	`interface` text NOT NULL,
	`endpoint` text,
	`bandwidth_mbps` integer,
	`cost_per_gb` text,
	`priority` integer DEFAULT 100 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `uplinks_site_name_uq` ON `uplinks` (`site_id`,`name`);--> statement-breakpoint
CREATE UNIQUE INDEX `uplinks_site_slot_uq` ON `uplinks` (`site_id`,`slot`);--> statement-breakpoint
CREATE INDEX `uplinks_org_idx` ON `uplinks` (`org_id`);