/**
 * `patronus events [--follow]`. The API lists events newest first and its cursor walks to
 * older ones, so following polls the first page and walks the cursor back only until it
 * reaches the newest event already printed. Ctrl-C (the io signal) ends the loop: exit 0.
 */
import { pageOf } from '../../worker/api/common'
import { eventSchema } from '../../worker/api/telemetry'
import { parse } from '../args'
import { type ApiClient, ApiProblem } from '../client'
import type { Command } from '../context'
import { EXIT, UsageError } from '../io'
import { resolveSite } from '../lookup'
import { type Column, printList } from '../output'

type Event = import('zod').infer<typeof eventSchema>

const eventPageSchema = pageOf(eventSchema, 'EventPage')

/** Poll interval bounds: fast enough to watch, slow enough not to load the API. */
export const FOLLOW_INTERVAL = { defaultMs: 2000, minMs: 1000, maxMs: 60_000 }
/** Pages walked back per poll: a burst larger than this is summarised, not replayed. */
const MAX_PAGES_PER_POLL = 10

const eventColumns: Column<Event>[] = [
  { header: 'at', value: (e) => e.at },
  { header: 'type', value: (e) => e.type },
  { header: 'severity', value: (e) => e.severity },
  { header: 'site', value: (e) => e.siteId },
  { header: 'source', value: (e) => e.source },
  { header: 'details', value: (e) => JSON.stringify(e.details) },
]

type Query = { type?: string; siteId?: string }

/** Events newer than `newest` (newest first), walking the cursor back at most a few pages. */
async function eventsSince(client: ApiClient, query: Query, newest: string | undefined) {
  const fresh: Event[] = []
  let cursor: string | undefined
  for (let page = 0; page < MAX_PAGES_PER_POLL; page++) {
    const result = await client.request('GET', '/v1/events', eventPageSchema, {
      query: { ...query, limit: 100, cursor },
    })
    for (const event of result.items) {
      // Ids are time-ordered, so "newer than the last printed" is a string comparison.
      if (newest !== undefined && event.id <= newest) return fresh
      fresh.push(event)
    }
    if (!result.nextCursor || newest === undefined) return fresh
    cursor = result.nextCursor
  }
  return fresh
}

export const eventsCommand: Command = async (ctx, argv) => {
  const { values } = parse(argv, {
    follow: { type: 'boolean', short: 'f' },
    type: { type: 'string' },
    site: { type: 'string' },
    limit: { type: 'string' },
    interval: { type: 'string' },
  })
  const client = ctx.client()
  const siteId = values.site ? (await resolveSite(client, values.site)).id : undefined
  const query: Query = { type: values.type, siteId }
  const limit = values.limit ?? '20'
  const first = await client.request('GET', '/v1/events', eventPageSchema, {
    query: { ...query, limit },
  })
  if (!values.follow) {
    printList(ctx.io, ctx.out, first.items, eventColumns)
    return EXIT.ok
  }
  const seconds = values.interval === undefined ? undefined : Number(values.interval)
  if (seconds !== undefined && !Number.isFinite(seconds)) {
    throw new UsageError(`--interval ${values.interval}: seconds expected`)
  }
  const intervalMs = Math.min(
    FOLLOW_INTERVAL.maxMs,
    Math.max(
      FOLLOW_INTERVAL.minMs,
      seconds === undefined ? FOLLOW_INTERVAL.defaultMs : seconds * 1000,
    ),
  )
  // Following prints one line per event, oldest first (JSON lines under --json).
  const print = (events: Event[]) => {
    for (const event of [...events].reverse()) {
      ctx.io.stdout(
        ctx.out.json
          ? `${JSON.stringify(event)}\n`
          : `${event.at}  ${event.severity.padEnd(8)} ${event.type}  site=${event.siteId ?? '-'}  ${JSON.stringify(event.details)}\n`,
      )
    }
  }
  print(first.items)
  let newest = first.items[0]?.id
  while (!ctx.io.signal.aborted) {
    await ctx.io.sleep(intervalMs, ctx.io.signal)
    if (ctx.io.signal.aborted) break
    try {
      const fresh = await eventsSince(client, query, newest)
      print(fresh)
      newest = fresh[0]?.id ?? newest
    } catch (error) {
      // A restart or a network blip should not end a watch; a refused token should.
      if (!(error instanceof ApiProblem) || (error.status !== 0 && error.status < 500)) throw error
      ctx.io.stderr(`warning: ${error.title}: ${error.detail} (retrying)\n`)
    }
  }
  return EXIT.ok
}
