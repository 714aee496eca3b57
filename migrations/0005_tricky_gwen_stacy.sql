DROP INDEX `sites_org_role_idx`;--> statement-breakpoint
CREATE INDEX `sites_org_role_idx` ON `sites` (`org_id`,`role`,`id`);