CREATE TABLE `active_paths` (
	`site_id` text NOT NULL,
	`class` text NOT NULL,
	`peer_site_id` text NOT NULL,
	`local_slot` integer NOT NULL,
	`remote_slot` integer NOT NULL,
	`reason` text NOT NULL,
	`since` integer NOT NULL,
	PRIMARY KEY(`site_id`, `class`, `peer_site_id`)
);
--> statement-breakpoint
CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`site_id` text,
	`type` text NOT NULL,
	`severity` text NOT NULL,
	`at` integer NOT NULL,
	`source` text NOT NULL,
	`details` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `events_org_idx` ON `events` (`org_id`,`id`);--> statement-breakpoint
CREATE INDEX `events_org_type_idx` ON `events` (`org_id`,`type`,`id`);--> statement-breakpoint
CREATE INDEX `events_site_idx` ON `events` (`site_id`,`id`);--> statement-breakpoint
CREATE TABLE `path_rollups_1m` (
	`site_id` text NOT NULL,
	`peer_site_id` text NOT NULL,
	`local_slot` integer NOT NULL,
	`remote_slot` integer NOT NULL,
	`minute` integer NOT NULL,
	`samples` integer NOT NULL,
	`down_samples` integer NOT NULL,
	`rtt_sum` real NOT NULL,
	`rtt_count` integer NOT NULL,
	`rtt_max` real,
	`jitter_sum` real NOT NULL,
	`loss_sum` real NOT NULL,
	`mos_sum` real NOT NULL,
	`mos_count` integer NOT NULL,
	`mos_min` real,
	PRIMARY KEY(`site_id`, `peer_site_id`, `local_slot`, `remote_slot`, `minute`)
);
--> statement-breakpoint
CREATE INDEX `path_rollups_site_minute_idx` ON `path_rollups_1m` (`site_id`,`minute`);--> statement-breakpoint
CREATE INDEX `path_rollups_minute_idx` ON `path_rollups_1m` (`minute`);--> statement-breakpoint
CREATE TABLE `path_states` (
	`site_id` text NOT NULL,
	`peer_site_id` text NOT NULL,
	`local_slot` integer NOT NULL,
	`remote_slot` integer NOT NULL,
	`state` text NOT NULL,
	`rtt_ms` real,
	`jitter_ms` real,
	`loss_pct` real NOT NULL,
	`mos` real,
	`at` integer NOT NULL,
	PRIMARY KEY(`site_id`, `peer_site_id`, `local_slot`, `remote_slot`)
);
