/**
 * `patronus tokens ...` (API tokens), `patronus enroll-token SITE` (a site's one-time agent
 * enrollment token) and `patronus webhooks ...`. A created token or webhook secret is
 * printed once, as the API shows it once; the CLI's own login token never is.
 */
import { pageOf } from '../../worker/api/common'
import { enrollmentTokenCreatedSchema } from '../../worker/api/enrollment'
import { type Token, tokenCreatedSchema, tokenSchema } from '../../worker/api/orgs'
import { webhookSchema, webhookWithSecretSchema } from '../../worker/api/webhooks'
import { optionalInt, parse, positional } from '../args'
import type { ApiClient } from '../client'
import type { Command, CommandGroup } from '../context'
import { EXIT } from '../io'
import { resolveSite } from '../lookup'
import { type Column, printList, printObject } from '../output'

type Webhook = import('zod').infer<typeof webhookSchema>

const tokenPageSchema = pageOf(tokenSchema, 'TokenPage')
const webhookPageSchema = pageOf(webhookSchema, 'WebhookPage')

const tokenColumns: Column<Token>[] = [
  { header: 'id', value: (t) => t.id },
  { header: 'name', value: (t) => t.name },
  { header: 'role', value: (t) => (t.instanceAdmin ? `${t.role} (instance admin)` : t.role) },
  { header: 'last used', value: (t) => t.lastUsedAt },
  { header: 'revoked', value: (t) => t.revokedAt },
]

const webhookColumns: Column<Webhook>[] = [
  { header: 'id', value: (w) => w.id },
  { header: 'url', value: (w) => w.url },
  { header: 'events', value: (w) => w.events },
  { header: 'format', value: (w) => w.format },
  { header: 'enabled', value: (w) => w.enabled },
  { header: 'failures', value: (w) => w.consecutiveFailures },
]

/** The caller's own org: token listing is scoped to it, so any row names it. */
async function ownOrgId(client: ApiClient): Promise<string> {
  const page = await client.request('GET', '/v1/tokens', tokenPageSchema, { query: { limit: 1 } })
  const orgId = page.items[0]?.orgId
  if (!orgId) throw new Error('cannot tell this token’s org; pass --org ORG_ID')
  return orgId
}

export const tokensCommands: CommandGroup = {
  async list(ctx, argv) {
    parse(argv, {})
    const tokens = await ctx.client().listAll('/v1/tokens', tokenPageSchema)
    printList(ctx.io, ctx.out, tokens, tokenColumns)
    return EXIT.ok
  },
  async create(ctx, argv) {
    const { values } = parse(argv, {
      name: { type: 'string' },
      role: { type: 'string' },
      org: { type: 'string' },
    })
    const client = ctx.client()
    const orgId = values.org ?? (await ownOrgId(client))
    const body = { name: values.name, role: values.role }
    const path = `/v1/orgs/${encodeURIComponent(orgId)}/tokens`
    const token = await client.request('POST', path, tokenCreatedSchema, { body })
    printObject(ctx.io, ctx.out, token)
    if (!ctx.out.json) ctx.io.stderr('The token is shown once: store it now.\n')
    return EXIT.ok
  },
  async revoke(ctx, argv) {
    const { positionals } = parse(argv, {})
    const id = positional(positionals, 0, 'TOKEN id')
    await ctx.client().request('DELETE', `/v1/tokens/${encodeURIComponent(id)}`, null)
    printObject(ctx.io, ctx.out, { revoked: id })
    return EXIT.ok
  },
}

export const enrollTokenCommand: Command = async (ctx, argv) => {
  const { values, positionals } = parse(argv, {
    'expires-in': { type: 'string' },
    'max-uses': { type: 'string' },
  })
  const client = ctx.client()
  const site = await resolveSite(client, positional(positionals, 0, 'SITE (id or name)'))
  const body = {
    expiresInSeconds: optionalInt(values['expires-in']),
    maxUses: optionalInt(values['max-uses']),
  }
  const path = `/v1/sites/${site.id}/enrollment-tokens`
  const created = await client.request('POST', path, enrollmentTokenCreatedSchema, { body })
  printObject(ctx.io, ctx.out, created)
  if (!ctx.out.json) {
    ctx.io.stderr(
      `Shown once. On the site's host:\n  patronus-agent enroll --server ${client.creds.server} --token <the token above>\n`,
    )
  }
  return EXIT.ok
}

export const webhooksCommands: CommandGroup = {
  async list(ctx, argv) {
    parse(argv, {})
    const webhooks = await ctx.client().listAll('/v1/webhooks', webhookPageSchema)
    printList(ctx.io, ctx.out, webhooks, webhookColumns)
    return EXIT.ok
  },
  async create(ctx, argv) {
    const { values } = parse(argv, {
      url: { type: 'string' },
      event: { type: 'string', multiple: true },
      format: { type: 'string' },
      description: { type: 'string' },
      disabled: { type: 'boolean' },
    })
    const body = {
      url: values.url,
      events: values.event ?? ['*'],
      format: values.format,
      description: values.description,
      enabled: values.disabled ? false : undefined,
    }
    const webhook = await ctx
      .client()
      .request('POST', '/v1/webhooks', webhookWithSecretSchema, { body })
    printObject(ctx.io, ctx.out, webhook)
    if (!ctx.out.json) ctx.io.stderr('The signing secret is shown once: store it now.\n')
    return EXIT.ok
  },
  async delete(ctx, argv) {
    const { positionals } = parse(argv, {})
    const id = positional(positionals, 0, 'WEBHOOK id')
    await ctx.client().request('DELETE', `/v1/webhooks/${encodeURIComponent(id)}`, null)
    printObject(ctx.io, ctx.out, { deleted: id })
    return EXIT.ok
  },
}
