CREATE TABLE `traffic_rollups_1m` (
	`site_id` text NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`minute` integer NOT NULL,
	`packets` integer NOT NULL,
	`bytes` integer NOT NULL,
	PRIMARY KEY(`site_id`, `kind`, `name`, `minute`)
);
--> statement-breakpoint
CREATE INDEX `traffic_rollups_site_minute_idx` ON `traffic_rollups_1m` (`site_id`,`minute`);--> statement-breakpoint
CREATE INDEX `traffic_rollups_minute_idx` ON `traffic_rollups_1m` (`minute`);