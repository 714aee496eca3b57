/**
 * The HTTP side of the CLI: bearer auth, JSON bodies, problem+json errors as ApiProblem,
 * response bodies checked against the API's own zod view schemas (worker/api), and
 * cursor paging for lists.
 */
import type { z } from 'zod'
import { problemSchema } from '../worker/api/common'
import type { Credentials } from './config'
import type { AdminIo } from './io'

export interface FieldProblem {
  path: string
  message: string
}

/** A non-2xx answer: the problem document's title, detail and field errors. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldProblem[] = [],
  ) {
    super(`${title}: ${detail}`)
    this.name = 'ApiProblem'
  }
}

export interface RequestOptions {
  body?: unknown
  query?: Record<string, string | number | undefined>
  /** The version the caller last saw; the server answers 412 if it has moved on. */
  ifMatch?: number
}

type Page<T> = { items: T[]; nextCursor: string | null }

export class ApiClient {
  constructor(
    readonly creds: Credentials,
    private readonly io: Pick<AdminIo, 'fetch'>,
  ) {}

  /** One request; `schema` checks (and types) the 2xx body, absent for 204 answers. */
  async request<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S | null,
    options: RequestOptions = {},
  ): Promise<z.infer<S>> {
    const url = new URL(this.creds.server + path)
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value))
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.creds.token}`,
      accept: 'application/json',
    }
    if (options.body !== undefined) headers['content-type'] = 'application/json'
    if (options.ifMatch !== undefined) headers['if-match'] = `"${options.ifMatch}"`
    let response: Response
    try {
      response = await this.io.fetch(url.toString(), {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      })
    } catch (error) {
      const reason = error instanceof Error ? (error.cause ?? error).toString() : String(error)
      throw new ApiProblem(0, 'Cannot reach the server', `${this.creds.server}: ${reason}`)
    }
    if (!response.ok) throw await problemOf(response)
    if (schema === null || response.status === 204) return undefined as z.infer<S>
    const parsed = schema.safeParse(await response.json())
    if (!parsed.success) {
      throw new ApiProblem(
        response.status,
        'Unexpected response',
        `${method} ${path} answered a body this CLI does not understand (a newer server?)`,
      )
    }
    return parsed.data
  }

  /** Every item of a paged list, following nextCursor. */
  async listAll<S extends z.ZodType<Page<unknown>>>(
    path: string,
    pageSchema: S,
    query: Record<string, string | number | undefined> = {},
  ): Promise<z.infer<S>['items']> {
    const items: unknown[] = []
    let cursor: string | undefined
    do {
      const page: Page<unknown> = await this.request('GET', path, pageSchema, {
        query: { ...query, limit: 500, cursor },
      })
      items.push(...page.items)
      cursor = page.nextCursor ?? undefined
    } while (cursor)
    return items as z.infer<S>['items']
  }
}

async function problemOf(response: Response): Promise<ApiProblem> {
  const text = await response.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  const problem = problemSchema.safeParse(body)
  if (problem.success) {
    const { status, title, detail, errors } = problem.data
    return new ApiProblem(status, title, detail, errors ?? [])
  }
  return new ApiProblem(
    response.status,
    `HTTP ${response.status}`,
    text.slice(0, 200) || response.statusText,
  )
}
