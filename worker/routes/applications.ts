import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import {
  applicationCreateSchema,
  applicationReplaceSchema,
  applicationSchema,
} from '../api/applications'
import { listQuerySchema, pageOf } from '../api/common'
import type { AppEnv } from '../http/env'
import { requireRole } from '../http/guards'
import {
  createApplication,
  deleteApplication,
  getApplication,
  listApplications,
  replaceApplication,
} from '../services/applications'
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

const tags = ['Applications']
// Any text up to the grammar's length: a name that cannot exist is simply not found.
const params = z.strictObject({
  name: z
    .string()
    .max(64)
    .openapi({ param: { name: 'name', in: 'path' }, example: 'backup' }),
})

export function applicationsRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/applications',
      tags,
      summary: 'Define an application (SNI/Host names and ports) that policies can name',
      request: jsonBody(applicationCreateSchema),
      responses: {
        201: jsonContent(applicationSchema, 'The new application'),
        ...authProblems,
        ...bodyProblems,
      },
    }),
    async (c) => {
      requireRole(c.var.actor, 'operator')
      const application = await createApplication(c.var.services, c.var.actor, c.req.valid('json'))
      return c.json(setETag(c, application), 201)
    },
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/applications',
      tags,
      summary: "List the org's applications (builtin and default ones are not listed)",
      request: { query: listQuerySchema },
      responses: {
        200: jsonContent(pageOf(applicationSchema, 'ApplicationPage'), 'A page of applications'),
        ...authProblems,
      },
    }),
    async (c) =>
      c.json(await listApplications(c.var.services, c.var.actor, c.req.valid('query')), 200),
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/applications/{name}',
      tags,
      summary: 'Get an application',
      request: { params },
      responses: {
        200: jsonContent(applicationSchema, 'The application; ETag is its version'),
        ...notModified,
        ...authProblems,
        ...notFoundProblem,
      },
    }),
    async (c) =>
      withETag(c, await getApplication(c.var.services, c.var.actor, c.req.valid('param').name)),
  )

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/applications/{name}',
      tags,
      summary: "Replace an application's names and ports",
      request: { params, ...jsonBody(applicationReplaceSchema) },
      responses: {
        200: jsonContent(applicationSchema, 'The updated application'),
        ...authProblems,
        ...bodyProblems,
        ...notFoundProblem,
        ...staleProblem,
      },
    }),
    async (c) => {
      requireRole(c.var.actor, 'operator')
      const application = await replaceApplication(
        c.var.services,
        c.var.actor,
        c.req.valid('param').name,
        c.req.valid('json'),
        ifMatchOf(c),
      )
      return c.json(setETag(c, application), 200)
    },
  )

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/applications/{name}',
      tags,
      summary: 'Delete an application no policy names',
      request: { params },
      responses: {
        ...noContent,
        ...authProblems,
        ...notFoundProblem,
        ...staleProblem,
        409: bodyProblems[409],
      },
    }),
    async (c) => {
      requireRole(c.var.actor, 'operator')
      await deleteApplication(c.var.services, c.var.actor, c.req.valid('param').name, ifMatchOf(c))
      return c.body(null, 204)
    },
  )
}
