/** Alert rules, alerts (acknowledge) and silences (docs/webhooks.md). */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import {
  alertQuerySchema,
  alertRuleCreateSchema,
  alertRuleSchema,
  alertRuleUpdateSchema,
  alertSchema,
  silenceCreateSchema,
  silenceQuerySchema,
  silenceSchema,
} from '../api/alerts'
import { listQuerySchema, pageOf, pathId } from '../api/common'
import type { AppEnv } from '../http/env'
import {
  acknowledgeAlert,
  createSilence,
  expireSilence,
  getAlert,
  getSilence,
  listAlerts,
  listSilences,
} from '../services/alerts/alerts'
import { createRule, deleteRule, getRule, listRules, updateRule } from '../services/alerts/rules'
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

const ruleParams = z.strictObject({ ruleId: pathId('ruleId') })
const alertParams = z.strictObject({ alertId: pathId('alertId') })
const silenceParams = z.strictObject({ silenceId: pathId('silenceId') })

function ruleRoutes(app: OpenAPIHono<AppEnv>) {
  const tags = ['Alert rules']
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/alert-rules',
      tags,
      summary: 'Create an alert rule (on events, or a metric threshold over a window)',
      request: jsonBody(alertRuleCreateSchema),
      responses: {
        201: jsonContent(alertRuleSchema, 'The rule'),
        ...authProblems,
        ...bodyProblems,
      },
    }),
    async (c) => {
      const rule = await createRule(c.var.services, c.var.actor, c.req.valid('json'))
      return c.json(setETag(c, rule), 201)
    },
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/alert-rules',
      tags,
      summary: 'List alert rules',
      request: { query: listQuerySchema },
      responses: {
        200: jsonContent(pageOf(alertRuleSchema, 'AlertRulePage'), 'A page of rules'),
        ...authProblems,
      },
    }),
    async (c) => c.json(await listRules(c.var.services, c.var.actor, c.req.valid('query')), 200),
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/alert-rules/{ruleId}',
      tags,
      summary: 'Get an alert rule',
      request: { params: ruleParams },
      responses: {
        200: jsonContent(alertRuleSchema, 'The rule; ETag is its version'),
        ...notModified,
        ...authProblems,
        ...notFoundProblem,
      },
    }),
    async (c) =>
      withETag(c, await getRule(c.var.services, c.var.actor, c.req.valid('param').ruleId)),
  )
  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/alert-rules/{ruleId}',
      tags,
      summary: 'Update an alert rule (If-Match for optimistic concurrency)',
      request: { params: ruleParams, ...jsonBody(alertRuleUpdateSchema) },
      responses: {
        200: jsonContent(alertRuleSchema, 'The updated rule'),
        ...authProblems,
        ...bodyProblems,
        ...notFoundProblem,
        ...staleProblem,
      },
    }),
    async (c) => {
      const rule = await updateRule(
        c.var.services,
        c.var.actor,
        c.req.valid('param').ruleId,
        c.req.valid('json'),
        ifMatchOf(c),
      )
      return c.json(setETag(c, rule), 200)
    },
  )
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/alert-rules/{ruleId}',
      tags,
      summary: 'Delete an alert rule (its firing alerts end without a notification)',
      request: { params: ruleParams },
      responses: { ...noContent, ...authProblems, ...notFoundProblem, ...staleProblem },
    }),
    async (c) => {
      await deleteRule(c.var.services, c.var.actor, c.req.valid('param').ruleId, ifMatchOf(c))
      return c.body(null, 204)
    },
  )
}

function alertRoutes(app: OpenAPIHono<AppEnv>) {
  const tags = ['Alerts']
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/alerts',
      tags,
      summary: 'Alerts, newest first (filters: status, ruleId, siteId)',
      request: { query: alertQuerySchema },
      responses: {
        200: jsonContent(pageOf(alertSchema, 'AlertPage'), 'A page of alerts'),
        ...authProblems,
      },
    }),
    async (c) => c.json(await listAlerts(c.var.services, c.var.actor, c.req.valid('query')), 200),
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/alerts/{alertId}',
      tags,
      summary: 'Get an alert',
      request: { params: alertParams },
      responses: {
        200: jsonContent(alertSchema, 'The alert'),
        ...authProblems,
        ...notFoundProblem,
      },
    }),
    async (c) =>
      c.json(await getAlert(c.var.services, c.var.actor, c.req.valid('param').alertId), 200),
  )
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/alerts/{alertId}/ack',
      tags,
      summary: 'Acknowledge an alert (stops repeat notifications; the resolve is still sent)',
      request: { params: alertParams },
      responses: {
        200: jsonContent(alertSchema, 'The alert'),
        ...authProblems,
        ...notFoundProblem,
      },
    }),
    async (c) =>
      c.json(
        await acknowledgeAlert(c.var.services, c.var.actor, c.req.valid('param').alertId),
        200,
      ),
  )
}

function silenceRoutes(app: OpenAPIHono<AppEnv>) {
  const tags = ['Silences']
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/silences',
      tags,
      summary: 'Mute alert notifications for a rule and/or sites until endsAt',
      request: jsonBody(silenceCreateSchema),
      responses: {
        201: jsonContent(silenceSchema, 'The silence'),
        ...authProblems,
        ...bodyProblems,
      },
    }),
    async (c) => c.json(await createSilence(c.var.services, c.var.actor, c.req.valid('json')), 201),
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/silences',
      tags,
      summary: 'List silences, newest first (active=true|false)',
      request: { query: silenceQuerySchema },
      responses: {
        200: jsonContent(pageOf(silenceSchema, 'SilencePage'), 'A page of silences'),
        ...authProblems,
      },
    }),
    async (c) => c.json(await listSilences(c.var.services, c.var.actor, c.req.valid('query')), 200),
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/silences/{silenceId}',
      tags,
      summary: 'Get a silence',
      request: { params: silenceParams },
      responses: {
        200: jsonContent(silenceSchema, 'The silence'),
        ...authProblems,
        ...notFoundProblem,
      },
    }),
    async (c) =>
      c.json(await getSilence(c.var.services, c.var.actor, c.req.valid('param').silenceId), 200),
  )
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/silences/{silenceId}',
      tags,
      summary: 'End a silence now',
      request: { params: silenceParams },
      responses: { ...noContent, ...authProblems, ...notFoundProblem },
    }),
    async (c) => {
      await expireSilence(c.var.services, c.var.actor, c.req.valid('param').silenceId)
      return c.body(null, 204)
    },
  )
}

export function alertsRoutes(app: OpenAPIHono<AppEnv>) {
  ruleRoutes(app)
  alertRoutes(app)
  silenceRoutes(app)
}
