/**
 * Scorer plugins on the API: operators upload WebAssembly components of the patronus:scorer
 * world under a name (checked at upload, quota'd, audited), policies may only name scorers
 * that exist and a named scorer cannot be deleted, the desired state of a site whose policy
 * names one carries its version, agents fetch that version signed, and a new upload moves
 * exactly the sites that use it to a new revision.
 */
import { describe, expect, it } from 'vitest'
import { type ApiTarget, type Client, expectProblem, newOrg } from './harness'
import {
  exampleScorer,
  importingComponent,
  paddedTo,
  rankComponent,
  variantOf,
} from './scorer-components'
import { enrolledSites } from './suite-agents'

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>),
  )
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/** PUT /v1/scorers/{name} with raw bytes (the harness client only sends JSON). */
async function upload(
  client: Client,
  name: string,
  bytes: Uint8Array | string,
  type = 'application/wasm',
) {
  const response = await client.target.fetch(`/v1/scorers/${name}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${client.token}`, 'content-type': type },
    body: bytes as BodyInit,
  })
  const text = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : undefined,
  }
}

const customPolicy = (scorer: string, extra: Record<string, unknown> = {}) => ({
  name: `by-${scorer}`,
  priority: 10,
  match: { ports: [5060] },
  action: { preference: 'custom', scorer },
  ...extra,
})

export function scorersSuite(target: () => ApiTarget) {
  describe('scorer plugins', () => {
    it('uploads, lists, replaces and deletes a scorer, audited, for operators only', async () => {
      const { operator, viewer, admin } = await newOrg(target())
      expectProblem(await upload(viewer, 'voice', exampleScorer), 403, 'forbidden')
      const created = await upload(operator, 'voice', exampleScorer)
      expect(created.status, JSON.stringify(created.body)).toBe(201)
      expect(created.body).toEqual({
        name: 'voice',
        id: expect.stringMatching(/^scr_[0-9a-f]{28}$/),
        sha256: await sha256Hex(exampleScorer),
        size: exampleScorer.length,
        createdAt: expect.any(String),
      })
      // The same bytes again: nothing changes (no new version, no revision bump).
      const again = await upload(operator, 'voice', exampleScorer, 'application/octet-stream')
      expect(again.status).toBe(200)
      expect(again.body.id).toBe(created.body.id)
      expect((await viewer.get('/v1/scorers')).body).toEqual({
        items: [created.body],
        nextCursor: null,
      })
      expect((await viewer.get('/v1/scorers/voice')).body).toEqual(created.body)

      const v2 = variantOf(exampleScorer)
      const replaced = await upload(operator, 'voice', v2)
      expect(replaced.status).toBe(200)
      expect(replaced.body.id).not.toBe(created.body.id)
      expect(replaced.body.sha256).toBe(await sha256Hex(v2))
      expect((await viewer.get('/v1/scorers')).body.items).toEqual([replaced.body])

      expectProblem(await viewer.delete('/v1/scorers/voice'), 403, 'forbidden')
      expect((await operator.delete('/v1/scorers/voice')).status).toBe(204)
      expectProblem(await viewer.get('/v1/scorers/voice'), 404, 'not-found')
      expectProblem(await operator.delete('/v1/scorers/voice'), 404, 'not-found')

      const audit = await admin.get('/v1/audit-log?limit=100')
      const actions = (audit.body.items as { action: string; details: { name?: string } }[])
        .filter((e) => e.action.startsWith('scorer.'))
        .map((e) => [e.action, e.details.name])
      expect(actions.sort()).toEqual([
        ['scorer.created', 'voice'],
        ['scorer.deleted', 'voice'],
        ['scorer.replaced', 'voice'],
      ])
    })

    it('refuses what is not a scorer plugin, with the reason', async () => {
      const { operator } = await newOrg(target())
      const notWasm = await upload(operator, 'x', 'not wasm')
      expectProblem(notWasm, 422, 'validation-failed')
      expect(notWasm.body.reason).toBe('NOT_A_COMPONENT')
      const core = await upload(operator, 'x', Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0))
      expect(core.body.detail).toMatch(/core WebAssembly module, not a component/)
      const rank = await upload(operator, 'x', rankComponent)
      expectProblem(rank, 422, 'validation-failed')
      expect(rank.body).toMatchObject({ reason: 'WRONG_WORLD' })
      const imports = await upload(operator, 'x', importingComponent)
      expect(imports.body).toMatchObject({ status: 422, reason: 'IMPORTS_NOT_ALLOWED' })
      expect(imports.body.detail).toMatch(/imports log \(func\)/)
      expectProblem(await upload(operator, 'x', new Uint8Array()), 422, 'validation-failed')
      expectProblem(
        await upload(operator, 'x', exampleScorer, 'application/json'),
        415,
        'unsupported-media-type',
      )
      expectProblem(
        await upload(operator, 'x', new Uint8Array(4 * 1024 * 1024 + 1)),
        413,
        'payload-too-large',
      )
      const badName = await upload(operator, 'Bad_Name', exampleScorer)
      expectProblem(badName, 422, 'validation-failed')
      expect((await operator.get('/v1/scorers')).body.items).toEqual([])
    })

    it('policies name existing scorers only; a named scorer cannot be deleted', async () => {
      const { operator } = await newOrg(target())
      const missing = await operator.post('/v1/policies', customPolicy('voice'))
      expectProblem(missing, 422, 'validation-failed')
      expect(missing.body.errors).toEqual([
        { path: 'action.scorer', message: expect.stringMatching(/no scorer plugin named "voice"/) },
      ])
      expect((await upload(operator, 'voice', exampleScorer)).status).toBe(201)
      const policy = await operator.post('/v1/policies', customPolicy('voice'))
      expect(policy.status, JSON.stringify(policy.body)).toBe(201)
      const patch = await operator.patch(`/v1/policies/${policy.body.id}`, {
        action: { preference: 'custom', scorer: 'nope' },
      })
      expect(patch.body.errors?.[0]?.path).toBe('action.scorer')

      const refused = await operator.delete('/v1/scorers/voice')
      expectProblem(refused, 409, 'conflict')
      expect(refused.body.policies).toEqual(['by-voice'])
      expect((await operator.delete(`/v1/policies/${policy.body.id}`)).status).toBe(204)
      expect((await operator.delete('/v1/scorers/voice')).status).toBe(204)
    })

    it('desired states name the version; agents fetch it signed; uploads bump only users', async () => {
      const { operator } = await newOrg(target())
      const sites = await enrolledSites(operator, target(), [
        { name: 'gold', prefix: '10.1.0.0/16' },
        { name: 'plain', prefix: '10.2.0.0/16' },
      ])
      const gold = sites.gold!
      const plain = sites.plain!
      const labelled = await operator.patch(`/v1/sites/${gold.siteId}`, {
        labels: { tier: 'gold' },
      })
      expect(labelled.status, JSON.stringify(labelled.body)).toBe(200)
      const v1 = (await upload(operator, 'voice', exampleScorer)).body
      const policy = await operator.post(
        '/v1/policies',
        customPolicy('voice', { match: { ports: [5060], siteLabels: { tier: 'gold' } } }),
      )
      expect(policy.status, JSON.stringify(policy.body)).toBe(201)

      const config = await gold.agent.config()
      expect(config.body.scorers).toEqual([{ name: 'voice', id: v1.id, sha256: v1.sha256 }])
      expect((await plain.agent.config()).body.scorers).toEqual([])

      const path = `/v1/agent/scorers/${v1.id}`
      const headers = await gold.agent.sign('GET', path, '')
      const fetched = await target().fetch(path, { headers })
      expect(fetched.status).toBe(200)
      expect(fetched.headers.get('content-type')).toBe('application/wasm')
      const bytes = new Uint8Array(await fetched.arrayBuffer())
      expect(await sha256Hex(bytes)).toBe(v1.sha256)
      expect((await target().fetch(path)).status).toBe(401)
      expectProblem(
        await gold.agent.request('GET', '/v1/agent/scorers/scr_nope'),
        422,
        'validation-failed',
      )

      // Another org's agent cannot fetch it, even with the id.
      const other = await newOrg(target())
      const stranger = (
        await enrolledSites(other.operator, target(), [{ name: 'x', prefix: '10.9.0.0/16' }])
      ).x!.agent
      expectProblem(await stranger.request('GET', path), 404, 'not-found')

      // A new version: the gold site's revision moves and names it; the plain site's does not.
      const goldEtag = config.headers.get('etag') ?? ''
      const plainEtag = (await plain.agent.config()).headers.get('etag') ?? ''
      const v2 = (await upload(operator, 'voice', variantOf(exampleScorer))).body
      const moved = await gold.agent.config({ etag: goldEtag })
      expect(moved.status).toBe(200)
      expect(moved.body.scorers).toEqual([{ name: 'voice', id: v2.id, sha256: v2.sha256 }])
      expect((await plain.agent.config({ etag: plainEtag })).status).toBe(304)
      expectProblem(await gold.agent.request('GET', path), 404, 'not-found')
    })

    it('the largest plugin allowed (4 MiB) is stored and served whole', async () => {
      const { operator } = await newOrg(target())
      const agent = (
        await enrolledSites(operator, target(), [{ name: 'a', prefix: '10.1.0.0/16' }])
      ).a!.agent
      const big = paddedTo(exampleScorer, 4 * 1024 * 1024)
      const stored = await upload(operator, 'big', big)
      expect(stored.status, JSON.stringify(stored.body)).toBe(201)
      expect(stored.body.size).toBe(big.length)
      const path = `/v1/agent/scorers/${stored.body.id}`
      const fetched = await target().fetch(path, { headers: await agent.sign('GET', path, '') })
      expect(fetched.status).toBe(200)
      expect(await sha256Hex(new Uint8Array(await fetched.arrayBuffer()))).toBe(stored.body.sha256)
    })

    it('an org holds at most its quota of scorers', async () => {
      const { operator } = await newOrg(target())
      const quota = 32 // DEFAULT_QUOTAS.scorers: both targets run with the defaults
      for (let i = 0; i < quota; i++) {
        const res = await upload(operator, `s${i}`, exampleScorer)
        expect(res.status, JSON.stringify(res.body)).toBe(201)
      }
      const over = await upload(operator, 'one-more', exampleScorer)
      expectProblem(over, 409, 'quota-exceeded')
      expect(over.body).toMatchObject({ quota: 'scorers', limit: quota })
      // Replacing one does not count as another.
      expect((await upload(operator, 's0', variantOf(exampleScorer))).status).toBe(200)
    })
  })
}
