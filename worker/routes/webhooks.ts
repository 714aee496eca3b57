/** Webhook endpoints, their secrets and delivery logs (docs/webhooks.md). */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { listQuerySchema, pageOf, pathId } from '../api/common'
import {
  deliveryQuerySchema,
  deliverySchema,
  webhookCreateSchema,
  webhookSchema,
  webhookUpdateSchema,
  webhookWithSecretSchema,
} from '../api/webhooks'
import type { AppEnv } from '../http/env'
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listDeliveries,
  listWebhooks,
  redeliver,
  rotateSecret,
  updateWebhook,
} from '../services/webhooks/endpoints'
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

const tags = ['Webhooks']
const params = z.strictObject({ webhookId: pathId('webhookId') })
const deliveryParams = params.extend({ deliveryId: pathId('deliveryId') })

export function webhooksRoutes(app: OpenAPIHono<AppEnv>) {
  const allowPrivate = (c: { var: AppEnv['Variables'] }) =>
    c.var.deps.webhooks?.allowPrivate ?? false

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/webhooks',
      tags,
      summary: 'Create a webhook endpoint (the response carries its secret, shown once)',
      request: jsonBody(webhookCreateSchema),
      responses: {
        201: jsonContent(webhookWithSecretSchema, 'The endpoint and its signing secret'),
        ...authProblems,
        ...bodyProblems,
      },
    }),
    async (c) => {
      const hook = await createWebhook(
        c.var.services,
        c.var.actor,
        c.req.valid('json'),
        allowPrivate(c),
      )
      return c.json(setETag(c, hook), 201)
    },
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhooks',
      tags,
      summary: 'List webhook endpoints',
      request: { query: listQuerySchema },
      responses: {
        200: jsonContent(pageOf(webhookSchema, 'WebhookPage'), 'A page of endpoints'),
        ...authProblems,
      },
    }),
    async (c) => c.json(await listWebhooks(c.var.services, c.var.actor, c.req.valid('query')), 200),
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhooks/{webhookId}',
      tags,
      summary: 'Get a webhook endpoint',
      request: { params },
      responses: {
        200: jsonContent(webhookSchema, 'The endpoint; ETag is its version'),
        ...notModified,
        ...authProblems,
        ...notFoundProblem,
      },
    }),
    async (c) =>
      withETag(c, await getWebhook(c.var.services, c.var.actor, c.req.valid('param').webhookId)),
  )

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/webhooks/{webhookId}',
      tags,
      summary: 'Update a webhook endpoint (enabling it again resets its failure count)',
      request: { params, ...jsonBody(webhookUpdateSchema) },
      responses: {
        200: jsonContent(webhookSchema, 'The updated endpoint'),
        ...authProblems,
        ...bodyProblems,
        ...notFoundProblem,
        ...staleProblem,
      },
    }),
    async (c) => {
      const hook = await updateWebhook(
        c.var.services,
        c.var.actor,
        c.req.valid('param').webhookId,
        c.req.valid('json'),
        ifMatchOf(c),
        allowPrivate(c),
      )
      return c.json(setETag(c, hook), 200)
    },
  )

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/webhooks/{webhookId}',
      tags,
      summary: 'Delete a webhook endpoint and its delivery log',
      request: { params },
      responses: { ...noContent, ...authProblems, ...notFoundProblem, ...staleProblem },
    }),
    async (c) => {
      await deleteWebhook(c.var.services, c.var.actor, c.req.valid('param').webhookId, ifMatchOf(c))
      return c.body(null, 204)
    },
  )

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/webhooks/{webhookId}/rotate-secret',
      tags,
      summary: 'New signing secret (shown once); the old one keeps signing for 24 h',
      request: { params },
      responses: {
        200: jsonContent(webhookWithSecretSchema, 'The endpoint and its new secret'),
        ...authProblems,
        ...notFoundProblem,
      },
    }),
    async (c) => {
      const hook = await rotateSecret(c.var.services, c.var.actor, c.req.valid('param').webhookId)
      return c.json(setETag(c, hook), 200)
    },
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhooks/{webhookId}/deliveries',
      tags,
      summary: 'Delivery log, newest first: status, attempts, response status, latency',
      request: { params, query: deliveryQuerySchema },
      responses: {
        200: jsonContent(pageOf(deliverySchema, 'WebhookDeliveryPage'), 'A page of deliveries'),
        ...authProblems,
        ...notFoundProblem,
      },
    }),
    async (c) => {
      const page = await listDeliveries(
        c.var.services,
        c.var.actor,
        c.req.valid('param').webhookId,
        c.req.valid('query'),
      )
      return c.json(page, 200)
    },
  )

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver',
      tags,
      summary: 'Send a finished delivery again (same webhook-id, a new 24 h retry window)',
      request: { params: deliveryParams },
      responses: {
        202: jsonContent(deliverySchema, 'The delivery, pending again'),
        ...authProblems,
        ...notFoundProblem,
        409: bodyProblems[409],
      },
    }),
    async (c) => {
      const { webhookId, deliveryId } = c.req.valid('param')
      const delivery = await redeliver(c.var.services, c.var.actor, webhookId, deliveryId)
      return c.json(delivery, 202)
    },
  )
}
