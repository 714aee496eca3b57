/**
 * Scorer plugins (the `custom` path preference): operators upload a WebAssembly component of
 * the `patronus:scorer` world under a name, list and delete them; agents fetch the version
 * their desired state names, signed like every agent call.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { MAX_SCORER_BYTES, scorerIdSchema } from '../../protocol/agent'
import { listQuerySchema, pageOf, problemSchema } from '../api/common'
import { scorerNameParam, scorerSchema } from '../api/scorers'
import type { AppEnv } from '../http/env'
import { requireRole } from '../http/guards'
import {
  deleteScorer,
  getScorer,
  listScorers,
  putScorer,
  scorerBytesForAgent,
} from '../services/scorers'
import { authProblems, jsonContent, noContent, notFoundProblem } from './openapi'

const tags = ['Scorers']
const params = z.strictObject({ name: scorerNameParam })
const problem = (description: string) => ({
  content: { 'application/problem+json': { schema: problemSchema } },
  description,
})
const component = { schema: { type: 'string' as const, format: 'binary' } }

export function scorersRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/scorers/{name}',
      tags,
      summary: 'Upload a scorer plugin (a new version when the name exists)',
      description: `The body is a WebAssembly component of the \`patronus:scorer\` world (wasm/plugin/wit/scorer.wit), at most ${MAX_SCORER_BYTES} bytes. It is checked structurally (a component, the world's \`score\` export, no host imports) and stored; agents check it again when they load it. New bytes under an existing name get a new id, and the sites whose policies name the scorer get a new desired state. The same bytes again change nothing.`,
      request: {
        params,
        body: {
          content: { 'application/wasm': component, 'application/octet-stream': component },
          required: true,
        },
      },
      responses: {
        200: jsonContent(scorerSchema, 'Replaced by a new version, or unchanged (same bytes)'),
        201: jsonContent(scorerSchema, 'The new scorer'),
        ...authProblems,
        409: problem('The org holds its quota of scorers (`quota-exceeded`)'),
        413: problem(`Body larger than ${MAX_SCORER_BYTES} bytes`),
        415: problem('Body is not application/wasm or application/octet-stream'),
        422: problem(
          'Not a component of the patronus:scorer world (`reason`: NOT_A_COMPONENT, WRONG_WORLD, IMPORTS_NOT_ALLOWED), or an invalid name',
        ),
      },
    }),
    async (c) => {
      requireRole(c.var.actor, 'operator')
      const { name } = c.req.valid('param')
      const bytes = new Uint8Array(await c.req.arrayBuffer())
      const { scorer, outcome } = await putScorer(c.var.services, c.var.actor, name, bytes)
      return c.json(scorer, outcome === 'created' ? 201 : 200)
    },
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/scorers',
      tags,
      summary: 'List scorer plugins',
      request: { query: listQuerySchema },
      responses: {
        200: jsonContent(pageOf(scorerSchema, 'ScorerPage'), 'A page of scorers'),
        ...authProblems,
      },
    }),
    async (c) => c.json(await listScorers(c.var.services, c.var.actor, c.req.valid('query')), 200),
  )

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/scorers/{name}',
      tags,
      summary: 'Get a scorer plugin’s current version',
      request: { params },
      responses: {
        200: jsonContent(scorerSchema, 'The scorer'),
        ...authProblems,
        ...notFoundProblem,
      },
    }),
    async (c) =>
      c.json(await getScorer(c.var.services, c.var.actor, c.req.valid('param').name), 200),
  )

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/scorers/{name}',
      tags,
      summary: 'Delete a scorer plugin',
      request: { params },
      responses: {
        ...noContent,
        ...authProblems,
        ...notFoundProblem,
        409: problem('A policy names the scorer (`policies` lists them): change them first'),
      },
    }),
    async (c) => {
      requireRole(c.var.actor, 'operator')
      await deleteScorer(c.var.services, c.var.actor, c.req.valid('param').name)
      return c.body(null, 204)
    },
  )
}

/** Agents fetch a version's bytes (after app.ts has put /v1/agent/* behind signatures). */
export function agentScorerRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agent/scorers/{id}',
      tags: ['Agents'],
      summary: 'A scorer plugin version named by the desired state (component bytes)',
      description:
        'The agent checks the bytes against the desired state’s sha256 before use. Only versions of the agent’s own org are served.',
      security: [{ agentSignature: [] }],
      request: { params: z.object({ id: scorerIdSchema }) },
      responses: {
        200: { content: { 'application/wasm': component }, description: 'The component' },
        401: problem('Signature missing or invalid, or the agent is unknown or revoked'),
        404: problem('No such scorer version in the agent’s org (replaced or deleted)'),
        422: problem('Invalid id'),
        429: problem('Rate limited: wait `Retry-After` seconds'),
      },
    }),
    async (c) => {
      const bytes = await scorerBytesForAgent(c.var.services, c.var.agent, c.req.valid('param').id)
      // Immutable per id; the agent caches it on disk, so no HTTP caching is needed.
      return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
        'content-type': 'application/wasm',
        'cache-control': 'no-store',
      })
    },
  )
}
