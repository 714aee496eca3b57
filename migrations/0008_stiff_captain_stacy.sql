-- Issue 16, finding 3: a WireGuard key belongs to one active agent. Databases that already
-- hold two active agents with one key would fail the unique index below, so the first
-- enrollment keeps the key (the rule enrollment now enforces) and later ones are revoked.
UPDATE `agents` SET `revoked_at` = CAST(strftime('%s', 'now') AS INTEGER) * 1000
WHERE `revoked_at` IS NULL AND EXISTS (
  SELECT 1 FROM `agents` AS `first`
  WHERE `first`.`wireguard_public_key` = `agents`.`wireguard_public_key`
    AND `first`.`revoked_at` IS NULL
    AND (`first`.`enrolled_at` < `agents`.`enrolled_at`
      OR (`first`.`enrolled_at` = `agents`.`enrolled_at` AND `first`.`id` < `agents`.`id`))
);--> statement-breakpoint
CREATE UNIQUE INDEX `agents_active_wg_key_uq` ON `agents` (`wireguard_public_key`) WHERE revoked_at IS NULL;
