/**
 * createApp(deps): the whole control plane as one Hono app. The Node and Workers entry
 * points call it with their own database, clock and logger; nothing below knows which
 * runtime it is on.
 */

import { OpenAPIHono } from '@hono/zod-openapi'
import { bodyLimit } from 'hono/body-limit'
import { PROTOCOL_VERSION } from '../protocol/version'
import type { AppDeps } from './deps'
import { ProblemError } from './errors'
import { requireApiToken } from './http/auth'
import { binaryUploads, exceptBinaryUploads } from './http/binary-body'
import type { AppEnv } from './http/env'
import { requireJsonBody, viewersReadOnly } from './http/guards'
import { limitJsonDepth } from './http/json-depth'
import { handleError, problemResponse, validationProblem } from './http/problem'
import { limitAddress } from './http/rate-limit'
import { inProcessRateLimits } from './http/rate-limiter'
import { securityHeaders } from './http/security-headers'
import { observe } from './observability/http'
import { metricsHandler } from './observability/metrics-route'
import { agentRoutes } from './routes/agent'
import { agentsRoutes } from './routes/agents'
import { alertsRoutes } from './routes/alerts'
import { applicationsRoutes } from './routes/applications'
import { docsRoutes } from './routes/docs'
import { healthRoutes } from './routes/health'
import { orgsRoutes } from './routes/orgs'
import { policiesRoutes } from './routes/policies'
import { agentScorerRoutes, scorersRoutes } from './routes/scorers'
import { sitesRoutes } from './routes/sites'
import { agentTelemetryRoutes, telemetryRoutes } from './routes/telemetry'
import { uplinksRoutes } from './routes/uplinks'
import { kickAfterWrites } from './routes/webhook-kick'
import { webhooksRoutes } from './routes/webhooks'

export const MAX_BODY_BYTES = 1024 * 1024

const isAgentPath = (path: string) => path === '/v1/enroll' || path.startsWith('/v1/agent/')

const TARGET_NAMES: Record<string, string> = { json: 'body', query: 'query', param: 'path' }

export function createApp(deps: AppDeps) {
  const rateLimits = deps.rateLimits ?? inProcessRateLimits(undefined, deps.clock)
  const app = new OpenAPIHono<AppEnv>({
    // Every failed zod validation (body, query, path) becomes one 422 listing each field.
    defaultHook: (result, c) => {
      if (!result.success)
        return validationProblem(c, result.error, TARGET_NAMES[result.target] ?? result.target)
    },
  })

  app.onError((error, c) =>
    handleError(error, c, (message, err) =>
      deps.logger.error({ err: err instanceof Error ? err.stack : String(err) }, message),
    ),
  )
  app.notFound((c) => problemResponse(c, 'not-found', `no route for ${c.req.method} ${c.req.path}`))

  // Outermost: CSP, nosniff, no-referrer and DENY on every answer, errors and 404s too.
  app.use('*', securityHeaders)
  // Then the span, request id, metrics and log line cover everything below.
  app.use('*', observe(deps))
  app.use('*', async (c, next) => {
    c.set('deps', deps)
    c.set('rateLimits', rateLimits)
    c.set('services', {
      db: deps.db,
      clock: deps.clock,
      notifier: deps.notifier,
      ...(deps.quotas ? { quotas: deps.quotas } : {}),
    })
    await next()
  })

  healthRoutes(app)
  app.get('/metrics', metricsHandler(deps))

  app.use(
    '/v1/*',
    // Scorer plugin uploads are bytes with their own cap (http/binary-body.ts).
    binaryUploads,
    exceptBinaryUploads(
      bodyLimit({
        maxSize: MAX_BODY_BYTES,
        onError: () => {
          throw new ProblemError('payload-too-large', `the body exceeds ${MAX_BODY_BYTES} bytes`)
        },
      }),
    ),
    exceptBinaryUploads(requireJsonBody),
    exceptBinaryUploads(limitJsonDepth),
    async (_c, next) => {
      await deps.ready()
      await next()
    },
  )
  // Writes may have enqueued webhook deliveries: first attempt right away.
  app.use('/v1/*', kickAfterWrites)
  // Enrollment needs no credential: every attempt counts against the source address.
  app.use('/v1/enroll', async (c, next) => {
    await limitAddress(c)
    await next()
  })
  // Agents authenticate by signature (routes/agent.ts), operators by API token; creating
  // orgs and tokens is decided per route (instance admin, org admin).
  agentRoutes(app)
  agentTelemetryRoutes(app)
  agentScorerRoutes(app)
  app.use('/v1/*', async (c, next) => {
    if (isAgentPath(c.req.path)) return next()
    return requireApiToken(c, async () => {
      await viewersReadOnly(c, next)
    })
  })

  orgsRoutes(app)
  sitesRoutes(app)
  uplinksRoutes(app)
  policiesRoutes(app)
  applicationsRoutes(app)
  scorersRoutes(app)
  agentsRoutes(app)
  telemetryRoutes(app)
  alertsRoutes(app)
  webhooksRoutes(app)

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token (`pat_...`)',
  })
  app.openAPIRegistry.registerComponent('securitySchemes', 'agentSignature', {
    type: 'http',
    scheme: 'signature',
    description:
      'RFC 9421 HTTP Message Signature (Ed25519) by the agent identity key; see docs/protocol.md',
  })
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Patronus control plane',
      version: deps.version,
      description: `Patronus SD-WAN REST API (agent protocol v${PROTOCOL_VERSION}). Errors are RFC 9457 problem+json.`,
    },
    security: [{ bearer: [] }],
  })
  docsRoutes(app)

  return app
}

export type App = ReturnType<typeof createApp>
