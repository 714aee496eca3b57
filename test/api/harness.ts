/**
 * A tiny HTTP client for the API suite. The suite runs against two targets, the app on
 * Node over an embedded database and the Worker inside workerd over sqld, so it talks
 * only HTTP through a `fetch` the target provides.
 */
import { expect } from 'vitest'

export interface ApiTarget {
  fetch(path: string, init?: RequestInit): Promise<Response>
  /** The instance-admin token the target was bootstrapped with. */
  adminToken: string
  /** The prediction model the target serves; absent: none (Workers). */
  model?: { id: string; sha256: string } | null
}

export interface ApiResponse<T = any> {
  status: number
  headers: Headers
  body: T
}

export class Client {
  constructor(
    readonly target: ApiTarget,
    readonly token: string | undefined,
  ) {}

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const init: RequestInit = {
      method,
      headers: {
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined
        ? { body: typeof body === 'string' ? body : JSON.stringify(body) }
        : {}),
    }
    const response = await this.target.fetch(path, init)
    const text = await response.text()
    let parsed: unknown = text
    try {
      parsed = text ? JSON.parse(text) : undefined
    } catch {
      // non-JSON bodies (e.g. /docs HTML) stay text
    }
    return { status: response.status, headers: response.headers, body: parsed as T }
  }

  get = <T = any>(path: string, headers?: Record<string, string>) =>
    this.request<T>('GET', path, undefined, headers)
  post = <T = any>(path: string, body: unknown, headers?: Record<string, string>) =>
    this.request<T>('POST', path, body, headers)
  patch = <T = any>(path: string, body: unknown, headers?: Record<string, string>) =>
    this.request<T>('PATCH', path, body, headers)
  put = <T = any>(path: string, body: unknown, headers?: Record<string, string>) =>
    this.request<T>('PUT', path, body, headers)
  delete = <T = any>(path: string, headers?: Record<string, string>) =>
    this.request<T>('DELETE', path, undefined, headers)
}

export const unique = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 10)}`

export interface OrgFixture {
  orgId: string
  admin: Client
  operator: Client
  viewer: Client
  instanceAdmin: Client
}

/** A fresh org with one token per role, so suites never see each other's objects. */
export async function newOrg(target: ApiTarget, extra: Record<string, unknown> = {}) {
  const instanceAdmin = new Client(target, target.adminToken)
  const org = await instanceAdmin.post('/v1/orgs', { name: unique('org'), ...extra })
  expect(org.status, JSON.stringify(org.body)).toBe(201)
  const tokenFor = async (role: string) => {
    const res = await instanceAdmin.post(`/v1/orgs/${org.body.id}/tokens`, { name: role, role })
    expect(res.status).toBe(201)
    return new Client(target, res.body.token)
  }
  return {
    orgId: org.body.id as string,
    instanceAdmin,
    admin: await tokenFor('admin'),
    operator: await tokenFor('operator'),
    viewer: await tokenFor('viewer'),
  } satisfies OrgFixture
}

/** Asserts an RFC 9457 problem with the given status and type slug. */
export function expectProblem(res: ApiResponse, status: number, slug: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status)
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
  expect(res.body.type).toBe(`https://patronus.dev/problems/${slug}`)
  expect(res.body.status).toBe(status)
  expect(typeof res.body.detail).toBe('string')
}
