/**
 * Finding 6 (docs/security.md), the parts that need a database of their own: the last
 * instance-admin token cannot be revoked (here, unlike the shared suites, revoking one
 * cannot break other tests), and the recovery path on the database host,
 * `npm run admin -- reset-token` (scripts/admin.ts), both as a function and as the
 * command an operator types.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { adminCommand } from '../../scripts/admin'
import { apiTokens } from '../../worker/db/schema'
import { sha256Hex } from '../../worker/services/secrets'
import { Client, expectProblem } from '../api/harness'
import { type NodeTarget, startNodeTarget } from '../api/node-target'

/** A guard against a hung child, not a performance bound: tsx compiles on first run. */
const CHILD_DEADLINE_MS = 60_000
const TOKEN_LINE = /\n {2}(pat_\S+)\n/

let target: NodeTarget | undefined
afterEach(() => {
  target?.close()
  target = undefined
})

async function run(argv: string[], env: Record<string, string>) {
  let stdout = ''
  let stderr = ''
  const code = await adminCommand(argv, env, {
    stdout: (text) => {
      stdout += text
    },
    stderr: (text) => {
      stderr += text
    },
  })
  return { code, stdout, stderr, token: TOKEN_LINE.exec(stdout)?.[1] }
}

async function instanceAdminTokenIds(client: Client) {
  const listed = await client.get('/v1/tokens?limit=500')
  expect(listed.status).toBe(200)
  return (listed.body.items as { id: string; instanceAdmin: boolean; revokedAt: string | null }[])
    .filter((t) => t.instanceAdmin && t.revokedAt === null)
    .map((t) => t.id)
}

describe('security: instance-admin recovery', () => {
  it('finding 6: the last instance-admin token cannot be revoked; reset-token adds one, then it can', async () => {
    target = await startNodeTarget()
    const bootstrap = new Client(target, target.adminToken)
    const [bootstrapId, ...others] = await instanceAdminTokenIds(bootstrap)
    expect(others).toEqual([])
    const last = await bootstrap.delete(`/v1/tokens/${bootstrapId}`)
    expectProblem(last, 409, 'conflict')
    expect(last.body.detail).toMatch(/reset-token/)
    expect((await bootstrap.get('/v1/orgs')).status).toBe(200)

    const reset = await run(['reset-token', '--name', 'recovery'], {
      DATABASE_URL: target.databaseUrl,
    })
    expect(reset.code, reset.stderr).toBe(0)
    expect(reset.token).toBeDefined()
    const recovered = new Client(target, reset.token)
    expect((await recovered.post('/v1/orgs', { name: 'made-by-recovery' })).status).toBe(201)
    // Stored as bootstrap stores it: the hash, never the token.
    const rows = await target.deps.db.select().from(apiTokens)
    const row = rows.find((r) => r.name === 'recovery')!
    expect(row).toMatchObject({ instanceAdmin: true, role: 'admin' })
    expect(row.tokenHash).toBe(await sha256Hex(reset.token!))
    expect(JSON.stringify(rows)).not.toContain(reset.token!)

    // With two, either may go; then the survivor is the last again.
    expect((await recovered.delete(`/v1/tokens/${bootstrapId}`)).status).toBe(204)
    expectProblem(await bootstrap.get('/v1/orgs'), 401, 'unauthenticated')
    expectProblem(await recovered.delete(`/v1/tokens/${row.id}`), 409, 'conflict')

    const audit = await recovered.get('/v1/audit-log?limit=500')
    expect(audit.body.items).toContainEqual(
      expect.objectContaining({ action: 'token.created', objectId: row.id }),
    )
  })

  it('finding 6: reset-token --revoke-others leaves only the new token; bad input exits non-zero', async () => {
    target = await startNodeTarget()
    const env = { DATABASE_URL: target.databaseUrl }
    const first = await run(['reset-token'], env)
    expect(first.code, first.stderr).toBe(0)
    const second = await run(['reset-token', '--revoke-others', '--name', 'only'], env)
    expect(second.code, second.stderr).toBe(0)
    expect(second.stdout).toMatch(/Revoked 2 other instance-admin token\(s\)/)
    for (const stale of [target.adminToken, first.token!]) {
      expectProblem(await new Client(target, stale).get('/v1/orgs'), 401, 'unauthenticated')
    }
    const only = new Client(target, second.token)
    expect(await instanceAdminTokenIds(only)).toHaveLength(1)

    expect((await run(['reset-token', '--bogus'], env)).code).toBe(2)
    expect((await run(['drop-everything'], env)).code).toBe(2)
    expect((await run(['reset-token', '--name', '$(id)'], env)).code).toBe(2)
    const missing = await run(['reset-token'], {
      DATABASE_URL: `${target.databaseUrl}.missing`,
    })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/no database at/)
  })

  it('finding 6: `npm run admin -- reset-token` prints a working instance-admin token', async () => {
    target = await startNodeTarget()
    const { stdout } = await promisify(execFile)(
      'npm',
      ['run', '--silent', 'admin', '--', 'reset-token', '--name', 'from-cli'],
      {
        env: { ...process.env, DATABASE_URL: target.databaseUrl, DATABASE_AUTH_TOKEN: '' },
        timeout: CHILD_DEADLINE_MS,
      },
    )
    const token = TOKEN_LINE.exec(stdout)?.[1]
    expect(token, stdout).toBeDefined()
    const client = new Client(target, token)
    expect((await client.post('/v1/orgs', { name: 'made-by-cli' })).status).toBe(201)
  })
})
