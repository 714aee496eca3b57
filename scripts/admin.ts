/**
 * `npm run admin -- <command>`: maintenance run on the database host, against the database
 * `npm start` uses (the same environment: DATABASE_URL, DATABASE_AUTH_TOKEN; README).
 *
 *   reset-token [--revoke-others] [--name NAME]
 *       Creates a new instance-admin token in org `default` and prints it once (only its
 *       hash is stored, as at bootstrap). --revoke-others revokes every other one.
 *
 * The recovery path for a lost or leaked instance-admin token (docs/security.md, finding 6): the
 * API never lets anyone revoke the last one, and whoever reaches this command could read
 * the database anyway, so it grants nothing an API token holder did not have.
 */
import { existsSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { nameSchema } from '../worker/api/common'
import { systemClock } from '../worker/clock'
import { loadNodeConfig } from '../worker/config'
import { applyMigrations } from '../worker/db/migrate'
import { openNodeDb } from '../worker/db/node'
import { NoDefaultOrgError, resetInstanceAdminToken } from '../worker/services/instance-admin'

const USAGE = `usage: npm run admin -- reset-token [--revoke-others] [--name NAME]

  reset-token      create a new instance-admin token in org "default", printed once
  --revoke-others  also revoke every other instance-admin token
  --name NAME      the new token's name (default: admin-reset)

The database is the one npm start uses: DATABASE_URL (default file:./data/patronus.db),
DATABASE_AUTH_TOKEN.
`

export interface AdminIo {
  stdout(text: string): void
  stderr(text: string): void
}

/** Runs one admin command; resolves to the process exit code (0 ok, 1 failed, 2 usage). */
export async function adminCommand(
  argv: string[],
  env: Record<string, string | undefined>,
  io: AdminIo,
): Promise<number> {
  let args: ReturnType<typeof parse>
  try {
    args = parse(argv)
  } catch (error) {
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`)
    return 2
  }
  if (args.positionals.length !== 1 || args.positionals[0] !== 'reset-token') {
    io.stderr(USAGE)
    return 2
  }
  const name = nameSchema.safeParse(args.values.name ?? 'admin-reset')
  if (!name.success) {
    io.stderr(`--name: ${name.error.issues[0]?.message}\n`)
    return 2
  }
  let config: ReturnType<typeof loadNodeConfig>
  try {
    config = loadNodeConfig(env)
  } catch (error) {
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n`)
    return 1
  }
  const file = config.DATABASE_URL.startsWith('file:') ? config.DATABASE_URL.slice(5) : undefined
  // Opening a missing file would create an empty database: say what is wrong instead.
  if (file !== undefined && !existsSync(file)) {
    io.stderr(`no database at ${file} (DATABASE_URL=${config.DATABASE_URL}); run npm start once\n`)
    return 1
  }
  const { db, close } = await openNodeDb({
    url: config.DATABASE_URL,
    authToken: config.DATABASE_AUTH_TOKEN,
  })
  try {
    // As npm start does first: the code below writes the schema this version expects.
    await applyMigrations(db)
    const result = await resetInstanceAdminToken(
      { db, clock: systemClock },
      { name: name.data, revokeOthers: args.values['revoke-others'] },
    )
    io.stdout(
      `Created instance-admin token "${name.data}" (${result.tokenId}) in org "default", shown once:\n\n  ${result.token}\n\n`,
    )
    if (args.values['revoke-others']) {
      io.stdout(`Revoked ${result.revoked.length} other instance-admin token(s).\n`)
    }
    return 0
  } catch (error) {
    if (!(error instanceof NoDefaultOrgError)) throw error
    io.stderr(`${error.message}\n`)
    return 1
  } finally {
    close()
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { 'revoke-others': { type: 'boolean' }, name: { type: 'string' } },
  })
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  adminCommand(process.argv.slice(2), process.env, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  }).then(
    (code) => {
      process.exitCode = code
    },
    (error: unknown) => {
      process.stderr.write(`patronus admin: ${error instanceof Error ? error.message : error}\n`)
      process.exitCode = 1
    },
  )
}
