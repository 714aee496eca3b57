import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { listQuerySchema, pageOf, pathId } from '../api/common'
import { uplinkCreateSchema, uplinkSchema, uplinkUpdateSchema } from '../api/uplinks'
import type { AppEnv } from '../http/env'
import { requireRole } from '../http/guards'
import {
  createUplink,
  deleteUplink,
  getUplink,
  listUplinks,
  updateUplink,
} from '../services/uplinks'
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

const tags = ['Uplinks']
const siteParams = z.strictObject({ siteId: pathId('siteId') })
const params = z.strictObject({ uplinkId: pathId('uplinkId') })

export function uplinksRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/sites/{siteId}/uplinks',
      tags,
      summary: 'Add an uplink to a site (it gets the lowest free slot)',
      request: { params: siteParams, ...jsonBody(uplinkCreateSchema) },
      responses: {
        201: jsonContent(uplinkSchema, 'The new uplink'),
        ...authProblems,
        ...bodyProblems,
        ...notFoundProblem,
      },
    }),
    async (c) => {
      requireRole(c.var.actor, 'operator')
      const { siteId } = c.req.valid('param')
      const uplink = await createUplink(c.var.services, c.var.actor, siteId, c.req.valid('json'))
      return c.json(setETag(c, uplink), 201)
    },
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sites/{siteId}/uplinks',
      tags,
      summary: 'List a site’s uplinks',
      request: { params: siteParams, query: listQuerySchema },
      responses: {
        200: jsonContent(pageOf(uplinkSchema, 'UplinkPage'), 'A page of uplinks'),
        ...authProblems,
        ...notFoundProblem,
      },
    }),
    async (c) => {
      const { siteId } = c.req.valid('param')
      return c.json(
        await listUplinks(c.var.services, c.var.actor, siteId, c.req.valid('query')),
        200,
      )
    },
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/uplinks/{uplinkId}',
      tags,
      summary: 'Get an uplink',
      request: { params },
      responses: {
        200: jsonContent(uplinkSchema, 'The uplink; ETag is its version'),
        ...notModified,
        ...authProblems,
        ...notFoundProblem,
      },
    }),
    async (c) =>
      withETag(c, await getUplink(c.var.services, c.var.actor, c.req.valid('param').uplinkId)),
  )

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/uplinks/{uplinkId}',
      tags,
      summary: 'Update an uplink (its slot never changes)',
      request: { params, ...jsonBody(uplinkUpdateSchema) },
      responses: {
        200: jsonContent(uplinkSchema, 'The updated uplink'),
        ...authProblems,
        ...bodyProblems,
        ...notFoundProblem,
        ...staleProblem,
      },
    }),
    async (c) => {
      requireRole(c.var.actor, 'operator')
      const { uplinkId } = c.req.valid('param')
      const uplink = await updateUplink(
        c.var.services,
        c.var.actor,
        uplinkId,
        c.req.valid('json'),
        ifMatchOf(c),
      )
      return c.json(setETag(c, uplink), 200)
    },
  )

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/uplinks/{uplinkId}',
      tags,
      summary: 'Remove an uplink',
      request: { params },
      responses: { ...noContent, ...authProblems, ...notFoundProblem, ...staleProblem },
    }),
    async (c) => {
      requireRole(c.var.actor, 'operator')
      await deleteUplink(c.var.services, c.var.actor, c.req.valid('param').uplinkId, ifMatchOf(c))
      return c.body(null, 204)
    },
  )
}
