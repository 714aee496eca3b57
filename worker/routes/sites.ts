import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { listQuerySchema, pageOf, pathId } from '../api/common'
import { siteCreateSchema, siteSchema, siteUpdateSchema } from '../api/sites'
import type { AppEnv } from '../http/env'
import { requireRole } from '../http/guards'
import { createSite, deleteSite, getSite, listSites, updateSite } from '../services/sites'
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

const tags = ['Sites']
const params = z.strictObject({ siteId: pathId('siteId') })

export function sitesRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/sites',
      tags,
      summary: 'Create a site',
      request: jsonBody(siteCreateSchema),
      responses: { 201: jsonContent(siteSchema, 'The new site'), ...authProblems, ...bodyProblems },
    }),
    async (c) => {
      requireRole(c.var.actor, 'operator')
      const site = await createSite(c.var.services, c.var.actor, c.req.valid('json'))
      return c.json(setETag(c, site), 201)
    },
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sites',
      tags,
      summary: 'List sites',
      request: { query: listQuerySchema },
      responses: {
        200: jsonContent(pageOf(siteSchema, 'SitePage'), 'A page of sites'),
        ...authProblems,
      },
    }),
    async (c) => c.json(await listSites(c.var.services, c.var.actor, c.req.valid('query')), 200),
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sites/{siteId}',
      tags,
      summary: 'Get a site',
      request: { params },
      responses: {
        200: jsonContent(siteSchema, 'The site; ETag is its version'),
        ...notModified,
        ...authProblems,
        ...notFoundProblem,
      },
    }),
    async (c) =>
      withETag(c, await getSite(c.var.services, c.var.actor, c.req.valid('param').siteId)),
  )

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/sites/{siteId}',
      tags,
      summary: 'Update a site (If-Match for optimistic concurrency)',
      request: { params, ...jsonBody(siteUpdateSchema) },
      responses: {
        200: jsonContent(siteSchema, 'The updated site'),
        ...authProblems,
        ...bodyProblems,
        ...notFoundProblem,
        ...staleProblem,
      },
    }),
    async (c) => {
      requireRole(c.var.actor, 'operator')
      const { siteId } = c.req.valid('param')
      const site = await updateSite(
        c.var.services,
        c.var.actor,
        siteId,
        c.req.valid('json'),
        ifMatchOf(c),
      )
      return c.json(setETag(c, site), 200)
    },
  )

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/sites/{siteId}',
      tags,
      summary: 'Delete a site and its uplinks',
      request: { params },
      responses: { ...noContent, ...authProblems, ...notFoundProblem, ...staleProblem },
    }),
    async (c) => {
      requireRole(c.var.actor, 'operator')
      await deleteSite(c.var.services, c.var.actor, c.req.valid('param').siteId, ifMatchOf(c))
      return c.body(null, 204)
    },
  )
}
