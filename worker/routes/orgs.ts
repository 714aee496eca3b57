import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { auditEntrySchema, auditQuerySchema } from '../api/audit'
import { listQuerySchema, pageOf, pathId } from '../api/common'
import {
  orgCreateSchema,
  orgSchema,
  tokenCreatedSchema,
  tokenCreateSchema,
  tokenSchema,
} from '../api/orgs'
import type { AppEnv } from '../http/env'
import { requireRole } from '../http/guards'
import { listAudit } from '../services/audit-query'
import { createOrg, listOrgs } from '../services/orgs'
import { createToken, listTokens, revokeToken } from '../services/tokens'
import {
  authProblems,
  bodyProblems,
  jsonBody,
  jsonContent,
  noContent,
  notFoundProblem,
  setETag,
} from './openapi'

/** Orgs, API tokens and the audit log: who may do what, and what they did. */
export function orgsRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/orgs',
      tags: ['Orgs'],
      summary: 'Create an org (instance admin)',
      request: jsonBody(orgCreateSchema),
      responses: { 201: jsonContent(orgSchema, 'The new org'), ...authProblems, ...bodyProblems },
    }),
    async (c) => {
      const org = await createOrg(c.var.services, c.var.actor, c.req.valid('json'))
      return c.json(setETag(c, org), 201)
    },
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/orgs',
      tags: ['Orgs'],
      summary: 'List orgs (all for an instance admin, otherwise the token’s own)',
      request: { query: listQuerySchema },
      responses: {
        200: jsonContent(pageOf(orgSchema, 'OrgPage'), 'A page of orgs'),
        ...authProblems,
      },
    }),
    async (c) => c.json(await listOrgs(c.var.services, c.var.actor, c.req.valid('query')), 200),
  )

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/orgs/{orgId}/tokens',
      tags: ['Tokens'],
      summary: 'Issue an API token (shown once)',
      request: {
        params: z.strictObject({ orgId: pathId('orgId') }),
        ...jsonBody(tokenCreateSchema),
      },
      responses: {
        201: jsonContent(tokenCreatedSchema, 'The token; `token` is never shown again'),
        ...authProblems,
        ...bodyProblems,
        ...notFoundProblem,
      },
    }),
    async (c) => {
      const { orgId } = c.req.valid('param')
      const token = await createToken(c.var.services, c.var.actor, orgId, c.req.valid('json'))
      return c.json(token, 201)
    },
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/tokens',
      tags: ['Tokens'],
      summary: 'List the org’s API tokens (admin; instance-admin tokens: instance admins only)',
      request: { query: listQuerySchema },
      responses: {
        200: jsonContent(pageOf(tokenSchema, 'TokenPage'), 'A page of tokens'),
        ...authProblems,
      },
    }),
    async (c) => {
      requireRole(c.var.actor, 'admin')
      return c.json(await listTokens(c.var.services, c.var.actor, c.req.valid('query')), 200)
    },
  )

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/tokens/{tokenId}',
      tags: ['Tokens'],
      summary: 'Revoke an API token (admin)',
      description:
        'Instance-admin tokens are revoked by instance admins only (for anyone else they do not exist: 404); the last one cannot be revoked (409; `npm run admin -- reset-token` on the database host makes another).',
      request: { params: z.strictObject({ tokenId: pathId('tokenId') }) },
      responses: {
        ...noContent,
        ...authProblems,
        ...notFoundProblem,
        409: { ...bodyProblems[409], description: 'The last instance-admin token' },
      },
    }),
    async (c) => {
      requireRole(c.var.actor, 'admin')
      await revokeToken(c.var.services, c.var.actor, c.req.valid('param').tokenId)
      return c.body(null, 204)
    },
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/audit-log',
      tags: ['Audit'],
      summary: 'Every mutation in the org, newest first (admin, operator)',
      request: { query: auditQuerySchema },
      responses: {
        200: jsonContent(pageOf(auditEntrySchema, 'AuditPage'), 'A page of audit entries'),
        ...authProblems,
      },
    }),
    async (c) => {
      requireRole(c.var.actor, 'operator')
      return c.json(await listAudit(c.var.services, c.var.actor, c.req.valid('query')), 200)
    },
  )
}
