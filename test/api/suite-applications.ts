import { describe, expect, it } from 'vitest'
import { type ApiTarget, expectProblem, newOrg } from './harness'
import { enrolledSites } from './suite-agents'

const backup = {
  name: 'backup',
  names: ['Backup.Example.', 'vault.example.net'],
  ports: [
    { protocol: 'tcp', ports: 9102 },
    { protocol: 'udp', ports: '9000-9010' },
  ],
}
const action = { preference: 'lowest-cost' }
const paths = (res: { body: { errors?: { path: string }[] } }) =>
  (res.body.errors ?? []).map((e) => e.path)

export function applicationsSuite(target: () => ApiTarget) {
  describe('applications', () => {
    it('creates, lists, gets, replaces and deletes an application, with ETags', async () => {
      const { operator, viewer, admin } = await newOrg(target())
      const created = await operator.post('/v1/applications', backup)
      expect(created.status, JSON.stringify(created.body)).toBe(201)
      expect(created.headers.get('etag')).toBe('"1"')
      expect(created.body).toMatchObject({
        name: 'backup',
        names: ['backup.example', 'vault.example.net'],
        ports: [
          { protocol: 'tcp', ports: '9102' },
          { protocol: 'udp', ports: '9000-9010' },
        ],
        version: 1,
      })
      expect(created.body.id).toMatch(/^app_/)

      const list = await viewer.get('/v1/applications')
      expect(list.body.items.map((a: { name: string }) => a.name)).toEqual(['backup'])
      const got = await viewer.get('/v1/applications/backup')
      expect(got.body).toEqual(created.body)
      expect((await viewer.get('/v1/applications/backup', { 'if-none-match': '"1"' })).status).toBe(
        304,
      )

      const replaced = await operator.put(
        '/v1/applications/backup',
        { names: ['backup.example'] },
        { 'if-match': '"1"' },
      )
      expect(replaced.status, JSON.stringify(replaced.body)).toBe(200)
      // PUT replaces the whole definition: the ports it left out are gone.
      expect(replaced.body).toMatchObject({ names: ['backup.example'], ports: [], version: 2 })
      expect(replaced.headers.get('etag')).toBe('"2"')
      expectProblem(
        await operator.put(
          '/v1/applications/backup',
          { names: ['x.example'] },
          { 'if-match': '"1"' },
        ),
        412,
        'precondition-failed',
      )
      expectProblem(
        await operator.delete('/v1/applications/backup', { 'if-match': '"1"' }),
        412,
        'precondition-failed',
      )
      expect((await operator.delete('/v1/applications/backup', { 'if-match': '"2"' })).status).toBe(
        204,
      )
      expectProblem(await viewer.get('/v1/applications/backup'), 404, 'not-found')
      expectProblem(
        await operator.put('/v1/applications/backup', { names: ['a.b'] }),
        404,
        'not-found',
      )
      expectProblem(await operator.delete('/v1/applications/backup'), 404, 'not-found')

      const log = await admin.get(`/v1/audit-log?objectId=${created.body.id}`)
      expect(log.body.items.map((e: { action: string }) => e.action)).toEqual([
        'application.deleted',
        'application.updated',
        'application.created',
      ])
      expect(log.body.items[0].details).toEqual({ name: 'backup' })
    })

    it('refuses invalid definitions field by field, builtin names and duplicates', async () => {
      const { operator } = await newOrg(target())
      const bad = await operator.post('/v1/applications', {
        name: 'Backup',
        names: ['ok.example', 'under_score.example', `${'a'.repeat(60)}.com`],
        ports: [
          { protocol: 'tcp', ports: '9000-80' },
          { protocol: 'sctp', ports: 1 },
          { protocol: 'udp', ports: 0 },
        ],
      })
      expectProblem(bad, 422, 'validation-failed')
      for (const p of [
        'name',
        'names.1',
        'names.2',
        'ports.0.ports',
        'ports.1.protocol',
        'ports.2.ports',
      ])
        expect(paths(bad), p).toContain(p)
      expect(paths(bad)).not.toContain('names.0')

      const empty = await operator.post('/v1/applications', { name: 'empty' })
      expectProblem(empty, 422, 'validation-failed')
      expect(paths(empty)).toEqual(['names'])
      const tooMany = await operator.post('/v1/applications', {
        name: 'many',
        names: Array.from({ length: 33 }, (_, i) => `n${i}.example`),
      })
      expectProblem(tooMany, 422, 'validation-failed')
      expect(paths(tooMany)).toEqual(['names'])
      const unknownField = await operator.post('/v1/applications', { ...backup, aliases: ['tls'] })
      expectProblem(unknownField, 422, 'validation-failed')

      for (const name of ['https', 'tls', 'voip', 'office365']) {
        const reserved = await operator.post('/v1/applications', { ...backup, name })
        expectProblem(reserved, 422, 'validation-failed')
        expect(paths(reserved), name).toEqual(['name'])
        expect(reserved.body.errors[0].message).toMatch(/builtin or default/)
      }

      expect((await operator.post('/v1/applications', backup)).status).toBe(201)
      const again = await operator.post('/v1/applications', { ...backup, names: ['other.example'] })
      expectProblem(again, 409, 'conflict')
      expect(again.body.field).toBe('name')
      const badReplace = await operator.put('/v1/applications/backup', { names: [], ports: [] })
      expectProblem(badReplace, 422, 'validation-failed')
      expect(paths(badReplace)).toEqual(['names'])
      const renaming = await operator.put('/v1/applications/backup', { ...backup })
      expectProblem(renaming, 422, 'validation-failed')
    })

    it('viewers read, operators write', async () => {
      const { operator, viewer } = await newOrg(target())
      expectProblem(await viewer.post('/v1/applications', backup), 403, 'forbidden')
      expect((await operator.post('/v1/applications', backup)).status).toBe(201)
      expectProblem(
        await viewer.put('/v1/applications/backup', { names: ['x.example'] }),
        403,
        'forbidden',
      )
      expectProblem(await viewer.delete('/v1/applications/backup'), 403, 'forbidden')
      expect((await viewer.get('/v1/applications/backup')).status).toBe(200)
    })

    it('an org sees, uses and changes only its own applications', async () => {
      const a = await newOrg(target())
      const b = await newOrg(target())
      expect((await a.operator.post('/v1/applications', backup)).status).toBe(201)
      expect((await b.viewer.get('/v1/applications')).body.items).toEqual([])
      expectProblem(await b.viewer.get('/v1/applications/backup'), 404, 'not-found')
      expectProblem(
        await b.operator.put('/v1/applications/backup', { names: ['x.example'] }),
        404,
        'not-found',
      )
      expectProblem(await b.operator.delete('/v1/applications/backup'), 404, 'not-found')
      const policy = { name: 'p', priority: 1, match: { applications: ['backup'] }, action }
      expectProblem(await b.operator.post('/v1/policies', policy), 422, 'validation-failed')
      // The same name is free in another org.
      expect((await b.operator.post('/v1/applications', backup)).status).toBe(201)
      expect((await b.operator.post('/v1/policies', policy)).status).toBe(201)
    })

    it('policies name only defined applications; a named application cannot be deleted', async () => {
      const { operator } = await newOrg(target())
      const policy = {
        name: 'backup',
        priority: 10,
        match: { applications: ['ssh', 'backup', 'voip', 'nosuch'] },
        action,
      }
      const refused = await operator.post('/v1/policies', policy)
      expectProblem(refused, 422, 'validation-failed')
      expect(paths(refused)).toEqual(['match.applications.1', 'match.applications.3'])
      expect(refused.body.errors[0].message).toMatch(/POST \/v1\/applications/)

      expect((await operator.post('/v1/applications', backup)).status).toBe(201)
      const created = await operator.post('/v1/policies', {
        ...policy,
        match: { applications: ['ssh', 'backup', 'voip'] },
      })
      expect(created.status, JSON.stringify(created.body)).toBe(201)
      const patched = await operator.patch(`/v1/policies/${created.body.id}`, {
        match: { applications: ['backup', 'nosuch'] },
      })
      expectProblem(patched, 422, 'validation-failed')
      expect(paths(patched)).toEqual(['match.applications.1'])

      const inUse = await operator.delete('/v1/applications/backup')
      expectProblem(inUse, 409, 'conflict')
      expect(inUse.body.policyIds).toEqual([created.body.id])
      expect(inUse.body.detail).toContain('"backup"')
      // Once no policy names it, it goes.
      expect(
        (
          await operator.patch(`/v1/policies/${created.body.id}`, {
            match: { applications: ['ssh'] },
          })
        ).status,
      ).toBe(200)
      expect((await operator.delete('/v1/applications/backup')).status).toBe(204)
    })

    it("every change bumps every site's revision and reaches the desired state", async () => {
      const { operator } = await newOrg(target())
      const sites = await enrolledSites(operator, target(), [
        { name: 'a', prefix: '10.1.0.0/16' },
        { name: 'b', prefix: '10.2.0.0/16' },
      ])
      const agents = [sites.a!.agent, sites.b!.agent]
      let configs = await Promise.all(agents.map((agent) => agent.config()))
      expect(configs.map((c) => c.body.applications)).toEqual([[], []])

      /** Every site sees a new revision with these applications. */
      const expectEverySite = async (applications: unknown) => {
        const next = await Promise.all(
          agents.map((agent, i) => agent.config({ etag: `"${configs[i]!.body.revision}"` })),
        )
        for (const [i, c] of next.entries()) {
          expect(c.status, `site ${i}`).toBe(200)
          expect(c.body.revision).toBeGreaterThan(configs[i]!.body.revision)
          expect(c.body.applications).toEqual(applications)
        }
        configs = next
      }

      expect((await operator.post('/v1/applications', backup)).status).toBe(201)
      await expectEverySite([
        {
          name: 'backup',
          names: ['backup.example', 'vault.example.net'],
          ports: [
            { protocol: 'tcp', ports: '9102' },
            { protocol: 'udp', ports: '9000-9010' },
          ],
        },
      ])
      expect(
        (await operator.put('/v1/applications/backup', { ports: [{ protocol: 'tcp', ports: 22 }] }))
          .status,
      ).toBe(200)
      await expectEverySite([
        { name: 'backup', names: [], ports: [{ protocol: 'tcp', ports: '22' }] },
      ])
      expect((await operator.delete('/v1/applications/backup')).status).toBe(204)
      await expectEverySite([])
      // A refused change bumps nothing.
      expectProblem(
        await operator.post('/v1/applications', { name: 'x' }),
        422,
        'validation-failed',
      )
      for (const [i, agent] of agents.entries())
        expect((await agent.config({ etag: `"${configs[i]!.body.revision}"` })).status).toBe(304)
    })
  })
}
