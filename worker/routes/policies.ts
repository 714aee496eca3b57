import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { listQuerySchema, pageOf, pathId } from '../api/common'
import { policyCreateSchema, policySchema, policyUpdateSchema } from '../api/policies'
import type { AppEnv } from '../http/env'
import { requireRole } from '../http/guards'
import {
  createPolicy,
  deletePolicy,
  getPolicy,
  listPolicies,
  updatePolicy,
} from '../services/policies'
import {
  authProblems,
  bodyProblems,
  ifMatchOf,
  jsonBody,
  jsonContent,
  noContent,
  notFoundProblem,
  notModified,
  setETag,
  staleProblem,
  withETag,
} from './openapi'

const tags = ['Policies']
const params = z.strictObject({ policyId: pathId('policyId') })

export function policiesRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/policies',
      tags,
      summary: 'Create a traffic policy',
      request: jsonBody(policyCreateSchema),
      responses: {
        201: jsonContent(policySchema, 'The new policy'),
        ...authProblems,
        ...bodyProblems,
      },
    }),
    async (c) => {
      requireRole(c.var.actor, 'operator')
      const policy = await createPolicy(c.var.services, c.var.actor, c.req.valid('json'))
      return c.json(setETag(c, policy), 201)
    },
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/policies',
      tags,
      summary: 'List policies',
      request: { query: listQuerySchema },
      responses: {
        200: jsonContent(pageOf(policySchema, 'PolicyPage'), 'A page of policies'),
        ...authProblems,
      },
    }),
    async (c) => c.json(await listPolicies(c.var.services, c.var.actor, c.req.valid('query')), 200),
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/policies/{policyId}',
      tags,
      summary: 'Get a policy',
      request: { params },
      responses: {
        200: jsonContent(policySchema, 'The policy; ETag is its version'),
        ...notModified,
        ...authProblems,
        ...notFoundProblem,
      },
    }),
    async (c) =>
      withETag(c, await getPolicy(c.var.services, c.var.actor, c.req.valid('param').policyId)),
  )

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/policies/{policyId}',
      tags,
      summary: 'Update a policy',
      request: { params, ...jsonBody(policyUpdateSchema) },
      responses: {
        200: jsonContent(policySchema, 'The updated policy'),
        ...authProblems,
        ...bodyProblems,
        ...notFoundProblem,
        ...staleProblem,
      },
    }),
    async (c) => {
      requireRole(c.var.actor, 'operator')
      const { policyId } = c.req.valid('param')
      const policy = await updatePolicy(
        c.var.services,
        c.var.actor,
        policyId,
        c.req.valid('json'),
        ifMatchOf(c),
      )
      return c.json(setETag(c, policy), 200)
    },
  )

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/policies/{policyId}',
      tags,
      summary: 'Delete a policy',
      request: { params },
      responses: { ...noContent, ...authProblems, ...notFoundProblem, ...staleProblem },
    }),
    async (c) => {
      requireRole(c.var.actor, 'operator')
      await deletePolicy(c.var.services, c.var.actor, c.req.valid('param').policyId, ifMatchOf(c))
      return c.body(null, 204)
    },
  )
}
