CREATE TABLE `alert_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`enabled` integer NOT NULL,
	`kind` text NOT NULL,
	`event_types` text NOT NULL,
	`site_ids` text,
	`site_selector` text,
	`min_severity` text NOT NULL,
	`metric` text,
	`severity` text NOT NULL,
	`resolve_after_seconds` integer,
	`repeat_interval_seconds` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `alert_rules_org_idx` ON `alert_rules` (`org_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `alert_rules_org_name_uq` ON `alert_rules` (`org_id`,`name`);--> statement-breakpoint
CREATE TABLE `alerts` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`rule_id` text NOT NULL,
	`incident_key` text NOT NULL,
	`site_id` text,
	`status` text NOT NULL,
	`severity` text NOT NULL,
	`summary` text NOT NULL,
	`details` text NOT NULL,
	`event_count` integer DEFAULT 1 NOT NULL,
	`started_at` integer NOT NULL,
	`last_event_at` integer NOT NULL,
	`auto_resolve_at` integer,
	`resolved_at` integer,
	`acked_at` integer,
	`acked_by` text,
	`notified_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alerts_open_uq` ON `alerts` (`rule_id`,`incident_key`) WHERE status = 'firing';--> statement-breakpoint
CREATE INDEX `alerts_org_idx` ON `alerts` (`org_id`,`id`);--> statement-breakpoint
CREATE INDEX `alerts_status_idx` ON `alerts` (`status`,`org_id`);--> statement-breakpoint
CREATE TABLE `event_dispatch` (
	`event_id` text PRIMARY KEY NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `silences` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`rule_id` text,
	`site_ids` text,
	`site_selector` text,
	`comment` text NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `silences_org_idx` ON `silences` (`org_id`,`ends_at`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`endpoint_id` text NOT NULL,
	`message_type` text NOT NULL,
	`event_id` text,
	`alert_id` text,
	`payload` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`retry_until` integer NOT NULL,
	`lease_owner` text,
	`lease_until` integer,
	`last_attempt_at` integer,
	`last_status_code` integer,
	`last_latency_ms` integer,
	`last_error` text,
	`created_at` integer NOT NULL,
	`completed_at` integer
);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_due_idx` ON `webhook_deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_endpoint_idx` ON `webhook_deliveries` (`endpoint_id`,`id`);--> statement-breakpoint
CREATE TABLE `webhook_endpoints` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`url` text NOT NULL,
	`description` text,
	`event_types` text NOT NULL,
	`format` text NOT NULL,
	`enabled` integer NOT NULL,
	`secret` text NOT NULL,
	`previous_secret` text,
	`previous_secret_expires_at` integer,
	`consecutive_failures` integer DEFAULT 0 NOT NULL,
	`disabled_at` integer,
	`disabled_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `webhook_endpoints_org_idx` ON `webhook_endpoints` (`org_id`,`id`);