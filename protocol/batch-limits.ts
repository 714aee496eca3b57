/**
 * Batch sizes of the agent protocol, apart from the schemas so that code which must not
 * load zod schemas early (worker/config.ts runs before @hono/zod-openapi extends zod) can
 * read them.
 *
 * Events per `POST /v1/agent/events`: each event is written, matched against alert rules
 * and fanned out to every webhook endpoint in one transaction; 500 held the single writer
 * for up to a second (docs/security.md, finding 5), so batches are capped and the agent
 * sends more of them.
 */
export const MAX_EVENTS_PER_BATCH = 100

/**
 * Events per request from a protocol v1 agent: v1 allowed 500, and a v1 agent with a
 * backlog keeps re-sending the same batch until it is taken. The control plane accepts them
 * and writes them MAX_EVENTS_PER_BATCH per transaction, so no batch holds the writer longer
 * than a v2 one.
 */
export const MAX_EVENTS_PER_BATCH_V1 = 500
