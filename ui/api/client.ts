/**
 * The dashboard's only door to the control plane: the public /v1 API with the session's
 * bearer token. Problems (RFC 9457) become ApiError with their field errors; reads that
 * answered with an ETag are revalidated with If-None-Match, so a poll of an unchanged
 * object costs a 304 and no re-render.
 */

export interface FieldError {
  path: string
  message: string
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly errors: FieldError[] = [],
  ) {
    super(detail)
  }
}

interface Cached {
  etag: string
  body: unknown
}

export class ApiClient {
  private readonly cache = new Map<string, Cached>()

  constructor(
    private readonly token: string,
    /** Called on a 401, so the shell can return to the login page. */
    private readonly onUnauthenticated: () => void = () => {},
    private readonly base = '',
  ) {}

  async request<T>(method: string, path: string, body?: unknown, headers = {}): Promise<T> {
    const cached = method === 'GET' ? this.cache.get(path) : undefined
    const response = await fetch(this.base + path, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(cached ? { 'if-none-match': cached.etag } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    if (response.status === 304 && cached) return cached.body as T
    if (!response.ok) throw await toError(response, this.onUnauthenticated)
    if (response.status === 204) return undefined as T
    const parsed = (await response.json()) as T
    const etag = response.headers.get('etag')
    if (method === 'GET' && etag) this.cache.set(path, { etag, body: parsed })
    return parsed
  }

  get = <T>(path: string) => this.request<T>('GET', path)
  post = <T>(path: string, body: unknown) => this.request<T>('POST', path, body)
  /** PATCH with If-Match on the version the form was opened with (412 if someone else won). */
  patch = <T>(path: string, body: unknown, version?: number) =>
    this.request<T>(
      'PATCH',
      path,
      body,
      version === undefined ? {} : { 'if-match': `"${version}"` },
    )
  delete = (path: string) => this.request<void>('DELETE', path)
}

async function toError(response: Response, onUnauthenticated: () => void): Promise<ApiError> {
  if (response.status === 401) onUnauthenticated()
  try {
    const problem = (await response.json()) as {
      title?: string
      detail?: string
      errors?: FieldError[]
    }
    return new ApiError(
      response.status,
      problem.title ?? response.statusText,
      problem.detail ?? problem.title ?? `HTTP ${response.status}`,
      problem.errors ?? [],
    )
  } catch {
    return new ApiError(response.status, response.statusText, `HTTP ${response.status}`)
  }
}

/** Query string from the defined entries only. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const entries = Object.entries(params).filter(
    (e): e is [string, string | number] => e[1] !== undefined && e[1] !== null && e[1] !== '',
  )
  if (entries.length === 0) return ''
  return `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()}`
}
