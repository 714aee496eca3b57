import { describe, expect, it } from 'vitest'
import { type ApiTarget, expectProblem, newOrg, unique } from './harness'

export function sitesSuite(target: () => ApiTarget) {
  describe('sites', () => {
    it('creates, reads with ETag, updates with If-Match and deletes', async () => {
      const { operator } = await newOrg(target())
      const created = await operator.post('/v1/sites', {
        name: 'hq',
        region: 'eu-west',
        prefixes: ['10.1.2.3/16', '2001:DB8:1::/48'],
        role: 'hub',
        labels: { tier: 'gold' },
      })
      expect(created.status).toBe(201)
      expect(created.body.prefixes).toEqual(['10.1.0.0/16', '2001:db8:1::/48'])
      expect(created.headers.get('etag')).toBe('"1"')
      const id = created.body.id

      const read = await operator.get(`/v1/sites/${id}`)
      expect(read.body).toEqual(created.body)
      expect((await operator.get(`/v1/sites/${id}`, { 'if-none-match': '"1"' })).status).toBe(304)

      const updated = await operator.patch(
        `/v1/sites/${id}`,
        { region: 'eu-central' },
        { 'if-match': '"1"' },
      )
      expect(updated.status).toBe(200)
      expect(updated.body.version).toBe(2)
      expect(updated.headers.get('etag')).toBe('"2"')

      const stale = await operator.patch(`/v1/sites/${id}`, { region: 'x' }, { 'if-match': '"1"' })
      expectProblem(stale, 412, 'precondition-failed')
      expect((await operator.get(`/v1/sites/${id}`)).body.region).toBe('eu-central')

      expectProblem(
        await operator.delete(`/v1/sites/${id}`, { 'if-match': '"1"' }),
        412,
        'precondition-failed',
      )
      expect((await operator.delete(`/v1/sites/${id}`, { 'if-match': '"2"' })).status).toBe(204)
      expectProblem(await operator.get(`/v1/sites/${id}`), 404, 'not-found')
    })

    it('pages with limit and cursor, in creation order', async () => {
      const { operator } = await newOrg(target())
      const names = ['s1', 's2', 's3', 's4', 's5']
      for (const name of names)
        expect((await operator.post('/v1/sites', { name })).status).toBe(201)
      const seen: string[] = []
      let cursor: string | null = null
      for (let page = 0; page < 5; page++) {
        const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2'
        const res = await operator.get(`/v1/sites${query}`)
        expect(res.body.items.length).toBeLessThanOrEqual(2)
        seen.push(...res.body.items.map((s: { name: string }) => s.name))
        cursor = res.body.nextCursor
        if (!cursor) break
      }
      expect(seen).toEqual(names)
      expectProblem(await operator.get('/v1/sites?cursor=bogus'), 422, 'validation-failed')
      expectProblem(await operator.get('/v1/sites?limit=0'), 422, 'validation-failed')
    })

    it('keeps another org’s sites invisible (404, never 403)', async () => {
      const a = await newOrg(target())
      const b = await newOrg(target())
      const site = await a.operator.post('/v1/sites', { name: 'private' })
      expectProblem(await b.operator.get(`/v1/sites/${site.body.id}`), 404, 'not-found')
      expectProblem(
        await b.operator.patch(`/v1/sites/${site.body.id}`, { region: 'x' }),
        404,
        'not-found',
      )
      expectProblem(await b.operator.delete(`/v1/sites/${site.body.id}`), 404, 'not-found')
      expectProblem(await b.operator.get(`/v1/sites/${site.body.id}/uplinks`), 404, 'not-found')
      expect((await b.operator.get('/v1/sites')).body.items).toEqual([])
      // Same name and prefixes are fine in another org.
      expect((await b.operator.post('/v1/sites', { name: 'private' })).status).toBe(201)
    })
  })

  describe('bad input', () => {
    it('malformed JSON is a 400', async () => {
      const { operator } = await newOrg(target())
      expectProblem(await operator.post('/v1/sites', '{"name": "x",'), 400, 'malformed-json')
    })

    it('wrong types and missing fields list each field', async () => {
      const { operator } = await newOrg(target())
      const res = await operator.post('/v1/sites', { region: 7, prefixes: 'x', role: 'boss' })
      expectProblem(res, 422, 'validation-failed')
      const paths = res.body.errors.map((e: { path: string }) => e.path).sort()
      expect(paths).toEqual(['name', 'prefixes', 'region', 'role'])
    })

    it('unknown fields are rejected, not dropped', async () => {
      const { operator } = await newOrg(target())
      const res = await operator.post('/v1/sites', { name: 'x', colour: 'blue' })
      expectProblem(res, 422, 'validation-failed')
      expect(res.body.detail).toContain('colour')
    })

    it('bodies over 1 MiB are a 413 and bodies that are not JSON a 415', async () => {
      const { operator } = await newOrg(target())
      const big = JSON.stringify({ name: 'x', region: 'y'.repeat(1024 * 1024 + 10) })
      expectProblem(await operator.post('/v1/sites', big), 413, 'payload-too-large')
      const form = await operator.request('POST', '/v1/sites', 'name=x', {
        'content-type': 'application/x-www-form-urlencoded',
      })
      expectProblem(form, 415, 'unsupported-media-type')
    })

    it('invalid CIDRs are named by index', async () => {
      const { operator } = await newOrg(target())
      const res = await operator.post('/v1/sites', {
        name: 'x',
        prefixes: ['10.0.0.0/8', '10.0.0.300/24', '2001:db8::/129'],
      })
      expectProblem(res, 422, 'validation-failed')
      expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([
        'prefixes.1',
        'prefixes.2',
      ])
    })

    it('overlapping CIDRs: within a site 422, across sites 409, with the overlay pool 422', async () => {
      const { operator } = await newOrg(target())
      const own = await operator.post('/v1/sites', {
        name: 'a',
        prefixes: ['10.0.0.0/16', '10.0.5.0/24'],
      })
      expectProblem(own, 422, 'validation-failed')
      expect(own.body.errors[0].path).toBe('prefixes.1')
      expect(
        (await operator.post('/v1/sites', { name: 'a', prefixes: ['10.0.0.0/16'] })).status,
      ).toBe(201)
      for (const prefix of ['10.0.128.0/17', '10.0.0.0/8', '10.0.0.7/32']) {
        const clash = await operator.post('/v1/sites', { name: unique('b'), prefixes: [prefix] })
        expectProblem(clash, 409, 'conflict')
        expect(clash.body.detail).toContain('site a')
      }
      expect(
        (await operator.post('/v1/sites', { name: 'c', prefixes: ['10.1.0.0/16'] })).status,
      ).toBe(201)
      expectProblem(
        await operator.post('/v1/sites', { name: 'd', prefixes: ['100.64.1.0/24'] }),
        422,
        'validation-failed',
      )
    })

    it('a site may keep its own prefixes on update but not take another’s', async () => {
      const { operator } = await newOrg(target())
      const a = await operator.post('/v1/sites', { name: 'a', prefixes: ['10.0.0.0/16'] })
      await operator.post('/v1/sites', { name: 'b', prefixes: ['10.9.0.0/16'] })
      const grow = await operator.patch(`/v1/sites/${a.body.id}`, { prefixes: ['10.0.0.0/15'] })
      expect(grow.status).toBe(200)
      expectProblem(
        await operator.patch(`/v1/sites/${a.body.id}`, { prefixes: ['10.8.0.0/13'] }),
        409,
        'conflict',
      )
      // The failed update left the site as it was.
      expect((await operator.get(`/v1/sites/${a.body.id}`)).body.prefixes).toEqual(['10.0.0.0/15'])
    })

    it('duplicate names are a 409 and a failed create leaves nothing behind', async () => {
      const { operator, admin } = await newOrg(target())
      expect(
        (await operator.post('/v1/sites', { name: 'dup', prefixes: ['10.2.0.0/16'] })).status,
      ).toBe(201)
      expectProblem(await operator.post('/v1/sites', { name: 'dup' }), 409, 'conflict')
      expectProblem(
        await operator.post('/v1/sites', { name: 'ghost', prefixes: ['10.2.3.0/24'] }),
        409,
        'conflict',
      )
      const names = (await operator.get('/v1/sites')).body.items.map(
        (s: { name: string }) => s.name,
      )
      expect(names).toEqual(['dup'])
      const audit = await admin.get('/v1/audit-log')
      expect(
        audit.body.items.filter((e: { action: string }) => e.action === 'site.created'),
      ).toHaveLength(1)
    })
  })

  describe('audit log', () => {
    it('records who changed what, newest first', async () => {
      const org = await newOrg(target())
      const site = await org.operator.post('/v1/sites', { name: 'x' })
      await org.operator.patch(`/v1/sites/${site.body.id}`, { region: 'r' })
      const tokens = (await org.admin.get('/v1/tokens')).body.items
      const operatorId = tokens.find((t: { role: string }) => t.role === 'operator').id
      const log = await org.admin.get(`/v1/audit-log?objectId=${site.body.id}`)
      expect(log.body.items.map((e: { action: string }) => e.action)).toEqual([
        'site.updated',
        'site.created',
      ])
      expect(log.body.items.every((e: { actor: string }) => e.actor === operatorId)).toBe(true)
      expectProblem(await org.viewer.get('/v1/audit-log'), 403, 'forbidden')
    })
  })
}
