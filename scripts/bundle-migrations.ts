/**
 * Writes migrations/bundle.json: every drizzle-kit migration (its SQL statements, hash and
 * timestamp) in one JSON module. Workers has no file system at run time, so both runtimes
 * import this bundle and apply it with worker/db/migrate.ts; a test keeps it in sync with
 * the SQL files. Run by `npm run db:generate` after drizzle-kit.
 */
import { writeFileSync } from 'node:fs'
import { readMigrationFiles } from 'drizzle-orm/migrator'

export function readBundleFromFolder(folder = 'migrations') {
  return readMigrationFiles({ migrationsFolder: folder }).map((m) => ({
    sql: m.sql.map((s) => s.trim()).filter((s) => s.length > 0),
    folderMillis: m.folderMillis,
    hash: m.hash,
  }))
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const bundle = readBundleFromFolder()
  writeFileSync('migrations/bundle.json', `${JSON.stringify(bundle, null, 2)}\n`)
  console.log(`migrations/bundle.json: ${bundle.length} migration(s)`)
}
