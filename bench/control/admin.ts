/** The operator API as the benchmark uses it: bearer-token JSON calls to the loopback server. */

export class AdminClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    const text = await response.text()
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`)
    return (text ? JSON.parse(text) : undefined) as T
  }

  /** A new org and an admin token scoped to it (needs an instance-admin token). */
  async createOrg(
    name: string,
    topology: 'mesh' | 'hub-and-spoke',
  ): Promise<AdminClient & { orgId: string }> {
    const org = await this.call<{ id: string }>('POST', '/v1/orgs', { name, topology })
    const token = await this.call<{ token: string }>('POST', `/v1/orgs/${org.id}/tokens`, {
      name: 'bench',
      role: 'admin',
    })
    return Object.assign(new AdminClient(this.baseUrl, token.token), { orgId: org.id })
  }
}
