/**
 * Id-or-name arguments: operators think in site and policy names, the API in ids. A name is
 * looked up in the list (names are unique per org, a database index enforces it).
 */
import { pageOf } from '../worker/api/common'
import { policySchema } from '../worker/api/policies'
import { siteSchema } from '../worker/api/sites'
import { isIdOf } from './args'
import { type ApiClient, ApiProblem } from './client'

export const sitePageSchema = pageOf(siteSchema, 'SitePage')
export const policyPageSchema = pageOf(policySchema, 'PolicyPage')

function missing(what: string, name: string): ApiProblem {
  return new ApiProblem(404, 'Not found', `no ${what} named "${name}"`)
}

export async function resolveSite(client: ApiClient, idOrName: string) {
  if (isIdOf('site', idOrName)) {
    return client.request('GET', `/v1/sites/${encodeURIComponent(idOrName)}`, siteSchema)
  }
  const sites = await client.listAll('/v1/sites', sitePageSchema)
  const site = sites.find((s) => s.name === idOrName)
  if (!site) throw missing('site', idOrName)
  return site
}

export async function resolvePolicy(client: ApiClient, idOrName: string) {
  if (isIdOf('policy', idOrName)) {
    return client.request('GET', `/v1/policies/${encodeURIComponent(idOrName)}`, policySchema)
  }
  const policies = await client.listAll('/v1/policies', policyPageSchema)
  const policy = policies.find((p) => p.name === idOrName)
  if (!policy) throw missing('policy', idOrName)
  return policy
}
