/**
 * The agents' own API: enrollment (with a one-time token) and, signed with the agent's
 * identity key, its desired state (ETag + long-poll) and heartbeat.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import {
  desiredStateSchema,
  heartbeatSchema,
  MAX_LONG_POLL_SECONDS,
  modelDocumentSchema,
  modelEtag,
  modelIdSchema,
} from '../../protocol/agent'
import { problemSchema } from '../api/common'
import { enrollBodySchema, enrollResultSchema } from '../api/enrollment'
import { requireAgentSignature } from '../http/agent-auth'
import type { AppEnv } from '../http/env'
import { negotiateProtocol } from '../http/protocol-version'
import { tracerFor, withSpan } from '../observability/tracing'
import { activeAgent } from '../services/agent-auth'
import { DesiredStateCache, desiredStateJson } from '../services/config-cache'
import { enroll } from '../services/enrollment'
import { waitForRevisionChange } from '../services/long-poll'
import { modelDocument } from '../services/models'
import { recordHeartbeat } from '../services/presence'
import { parseIfMatch } from '../services/versioning'
import { bodyProblems, jsonBody, jsonContent, noContent, notModified } from './openapi'

const tags = ['Agents']
const agentProblems = {
  401: {
    content: { 'application/problem+json': { schema: problemSchema } },
    description:
      'Signature missing or invalid, clock skew over 5 minutes, replayed nonce, unknown or revoked agent (the `type` says which)',
  },
  422: {
    content: { 'application/problem+json': { schema: problemSchema } },
    description: 'Invalid request',
  },
  429: {
    content: { 'application/problem+json': { schema: problemSchema } },
    description:
      'Rate limited (`rate-limited`): this agent, or failed attempts from this address; wait `Retry-After` seconds',
  },
}

export function agentRoutes(app: OpenAPIHono<AppEnv>) {
  // One per app instance: documents are per agent and revision (services/config-cache.ts).
  const configCache = new DesiredStateCache()
  // Every agent request names its protocol version (absent: 1); checked before anything.
  app.use('/v1/enroll', negotiateProtocol)
  app.use('/v1/agent/*', negotiateProtocol)

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/enroll',
      tags,
      summary: 'Enroll an agent with a one-time enrollment token',
      security: [],
      request: jsonBody(enrollBodySchema),
      responses: {
        201: jsonContent(enrollResultSchema, 'The agent’s identity in the org'),
        ...agentProblems,
        ...bodyProblems,
      },
    }),
    async (c) =>
      c.json(await enroll(c.var.services, c.req.valid('json'), c.var.protocolVersion), 201),
  )

  app.use('/v1/agent/*', requireAgentSignature)

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agent/config',
      tags,
      summary: 'The agent’s desired state (ETag = revision; ?wait=N long-polls)',
      security: [{ agentSignature: [] }],
      request: {
        query: z.strictObject({
          wait: z.coerce.number().int().min(0).max(MAX_LONG_POLL_SECONDS).optional(),
        }),
      },
      responses: {
        200: jsonContent(desiredStateSchema.openapi('DesiredState'), 'The desired state'),
        ...notModified,
        ...agentProblems,
      },
    }),
    async (c) => {
      const agent = c.var.agent
      const deps = c.var.deps
      const ifNoneMatch = c.req.header('if-none-match')
      const known = parseIfMatch(ifNoneMatch)
      // An agent running another model than the one served now gets the document at once,
      // whatever its revision (protocol modelEtag).
      const agentModel = /"m-[^"]*"/.exec(ifNoneMatch ?? '')?.[0]
      const staleModel =
        agentModel !== undefined && agentModel !== modelEtag(deps.models?.current ?? null)
      const knownRevision =
        Array.isArray(known) && known.length === 1 && !staleModel ? known[0] : undefined
      const { wait } = c.req.valid('query')
      let revision: number | undefined
      if (knownRevision !== undefined) {
        revision = await waitForRevisionChange(
          {
            db: deps.db,
            notifier: deps.notifier,
            pollIntervalMs: deps.configPollIntervalMs,
            now: () => deps.clock.now(),
            shutdown: deps.shutdown,
          },
          agent.siteId,
          knownRevision,
          (wait ?? 0) * 1000,
          c.req.raw.signal,
        )
        // The agent may have been revoked while it waited (revoking wakes it, as the
        // site's revision changes): it gets the 401, never the document or a 304.
        if (wait) await activeAgent(c.var.services, agent.id)
        if (revision === knownRevision) {
          c.header('ETag', `"${revision}"`)
          return c.body(null, 304)
        }
      }
      // A span around the build (or cache hit): the trace shows what a config fetch cost.
      const doc = await withSpan(
        tracerFor(deps.tracerProvider),
        'config.build',
        async (span) => {
          const built = await desiredStateJson(
            deps.db,
            agent,
            deps.clock.now(),
            configCache,
            deps.models?.current ?? null,
            c.var.protocolVersion,
          )
          span.setAttribute('patronus.config.revision', built.revision)
          span.setAttribute('patronus.config.bytes', built.json.length)
          return built
        },
        { 'patronus.site.id': agent.siteId, 'patronus.agent.id': agent.id },
      )
      deps.metrics?.recorder.configServed()
      return c.body(doc.json, 200, {
        'content-type': 'application/json',
        etag: `"${doc.revision}"`,
        'cache-control': 'no-store',
      })
    },
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agent/models/{id}',
      tags,
      summary: 'A failure-prediction model named by the desired state (manifest + ONNX bytes)',
      description:
        'The agent checks the bytes against the desired state’s sha256 before use. Served by the Node control plane from its models/ directory; the Workers control plane serves none (404).',
      security: [{ agentSignature: [] }],
      request: { params: z.object({ id: modelIdSchema }) },
      responses: {
        200: jsonContent(modelDocumentSchema.openapi('ModelDocument'), 'The model'),
        404: {
          content: { 'application/problem+json': { schema: problemSchema } },
          description: 'No such model, or this control plane serves no models (Workers)',
        },
        ...agentProblems,
      },
    }),
    async (c) => {
      const doc = await modelDocument(c.var.deps.models, c.req.valid('param').id)
      // Immutable per id + hash; the agent caches it on disk, so no HTTP caching needed.
      return c.json(doc, 200, { 'cache-control': 'no-store' })
    },
  )

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/agent/heartbeat',
      tags,
      summary: 'Report liveness, version and uplink states',
      security: [{ agentSignature: [] }],
      request: jsonBody(heartbeatSchema.openapi('Heartbeat')),
      responses: { ...noContent, ...agentProblems, ...bodyProblems },
    }),
    async (c) => {
      await recordHeartbeat(c.var.services, c.var.agent, c.req.valid('json'))
      return c.body(null, 204)
    },
  )
}
