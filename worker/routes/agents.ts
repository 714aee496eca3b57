/** Operator routes for agents: enrollment tokens per site, and the agents themselves. */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { listQuerySchema, pageOf, pathId } from '../api/common'
import {
  agentSchema,
  enrollmentTokenCreatedSchema,
  enrollmentTokenCreateSchema,
  enrollmentTokenSchema,
} from '../api/enrollment'
import type { AppEnv } from '../http/env'
import { getAgent, listAgents, revokeAgent } from '../services/agents'
import {
  createEnrollmentToken,
  listEnrollmentTokens,
  revokeEnrollmentToken,
} from '../services/enrollment'
import {
  authProblems,
  bodyProblems,
  jsonBody,
  jsonContent,
  noContent,
  notFoundProblem,
} from './openapi'

const tags = ['Agents']
const siteParams = z.strictObject({ siteId: pathId('siteId') })

export function agentsRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/sites/{siteId}/enrollment-tokens',
      tags,
      summary: 'Create an enrollment token for the site (shown once)',
      request: { params: siteParams, ...jsonBody(enrollmentTokenCreateSchema) },
      responses: {
        201: jsonContent(enrollmentTokenCreatedSchema, 'The token; `token` is never shown again'),
        ...authProblems,
        ...bodyProblems,
        ...notFoundProblem,
      },
    }),
    async (c) => {
      const { siteId } = c.req.valid('param')
      const created = await createEnrollmentToken(
        c.var.services,
        c.var.actor,
        siteId,
        c.req.valid('json'),
      )
      return c.json(created, 201)
    },
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sites/{siteId}/enrollment-tokens',
      tags,
      summary: 'List the site’s enrollment tokens',
      request: { params: siteParams, query: listQuerySchema },
      responses: {
        200: jsonContent(pageOf(enrollmentTokenSchema, 'EnrollmentTokenPage'), 'A page of tokens'),
        ...authProblems,
        ...notFoundProblem,
      },
    }),
    async (c) => {
      const { siteId } = c.req.valid('param')
      const page = await listEnrollmentTokens(
        c.var.services,
        c.var.actor,
        siteId,
        c.req.valid('query'),
      )
      return c.json(page, 200)
    },
  )

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/enrollment-tokens/{tokenId}',
      tags,
      summary: 'Revoke an enrollment token',
      request: { params: z.strictObject({ tokenId: pathId('tokenId') }) },
      responses: { ...noContent, ...authProblems, ...notFoundProblem },
    }),
    async (c) => {
      await revokeEnrollmentToken(c.var.services, c.var.actor, c.req.valid('param').tokenId)
      return c.body(null, 204)
    },
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agents',
      tags,
      summary: 'List agents (optionally of one site)',
      request: { query: listQuerySchema.extend({ siteId: z.string().max(64).optional() }) },
      responses: {
        200: jsonContent(pageOf(agentSchema, 'AgentPage'), 'A page of agents'),
        ...authProblems,
      },
    }),
    async (c) => c.json(await listAgents(c.var.services, c.var.actor, c.req.valid('query')), 200),
  )

  const agentParams = z.strictObject({ agentId: pathId('agentId') })

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agents/{agentId}',
      tags,
      summary: 'Get an agent',
      request: { params: agentParams },
      responses: {
        200: jsonContent(agentSchema, 'The agent'),
        ...authProblems,
        ...notFoundProblem,
      },
    }),
    async (c) =>
      c.json(await getAgent(c.var.services, c.var.actor, c.req.valid('param').agentId), 200),
  )

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/agents/{agentId}',
      tags,
      summary: 'Revoke an agent: its next request gets 401 and its peers drop it',
      request: { params: agentParams },
      responses: { ...noContent, ...authProblems, ...notFoundProblem },
    }),
    async (c) => {
      await revokeAgent(c.var.services, c.var.actor, c.req.valid('param').agentId)
      return c.body(null, 204)
    },
  )
}
