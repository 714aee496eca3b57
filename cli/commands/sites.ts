/** `patronus sites ...` and `patronus uplinks ...`: the site inventory. */
import { pageOf } from '../../worker/api/common'
import { type Site, type SiteCreate, siteSchema } from '../../worker/api/sites'
import { type Uplink, type UplinkCreate, uplinkSchema } from '../../worker/api/uplinks'
import { labelsOf, optionalInt, optionalNumber, parse, positional } from '../args'
import type { CommandGroup } from '../context'
import { EXIT } from '../io'
import { resolveSite, sitePageSchema } from '../lookup'
import { type Column, printList, printObject } from '../output'

const uplinkPageSchema = pageOf(uplinkSchema, 'UplinkPage')

const siteColumns: Column<Site>[] = [
  { header: 'id', value: (s) => s.id },
  { header: 'name', value: (s) => s.name },
  { header: 'role', value: (s) => s.role },
  { header: 'region', value: (s) => s.region },
  { header: 'status', value: (s) => s.status },
  { header: 'overlay', value: (s) => s.overlayAddress },
  { header: 'prefixes', value: (s) => s.prefixes },
]

const uplinkColumns: Column<Uplink>[] = [
  { header: 'id', value: (u) => u.id },
  { header: 'name', value: (u) => u.name },
  { header: 'slot', value: (u) => u.slot },
  { header: 'interface', value: (u) => u.interface },
  { header: 'endpoint', value: (u) => u.endpoint },
  { header: 'mbps', value: (u) => u.bandwidthMbps },
  { header: 'priority', value: (u) => u.priority },
]

export const sitesCommands: CommandGroup = {
  async list(ctx, argv) {
    parse(argv, {})
    const sites = await ctx.client().listAll('/v1/sites', sitePageSchema)
    printList(ctx.io, ctx.out, sites, siteColumns)
    return EXIT.ok
  },
  async get(ctx, argv) {
    const { positionals } = parse(argv, {})
    const site = await resolveSite(ctx.client(), positional(positionals, 0, 'SITE (id or name)'))
    printObject(ctx.io, ctx.out, site)
    return EXIT.ok
  },
  async create(ctx, argv) {
    const { values } = parse(argv, {
      name: { type: 'string' },
      region: { type: 'string' },
      role: { type: 'string' },
      prefix: { type: 'string', multiple: true },
      label: { type: 'string', multiple: true },
    })
    // The server validates (one grammar, its 422 names the field); the CLI only shapes.
    const body = {
      name: values.name,
      region: values.region,
      role: values.role as SiteCreate['role'] | undefined,
      prefixes: values.prefix,
      labels: labelsOf(values.label),
    }
    const site = await ctx.client().request('POST', '/v1/sites', siteSchema, { body })
    printObject(ctx.io, ctx.out, site)
    return EXIT.ok
  },
  async delete(ctx, argv) {
    const { positionals } = parse(argv, {})
    const client = ctx.client()
    const site = await resolveSite(client, positional(positionals, 0, 'SITE (id or name)'))
    await client.request('DELETE', `/v1/sites/${site.id}`, null)
    printObject(ctx.io, ctx.out, { deleted: site.id, name: site.name })
    return EXIT.ok
  },
}

export const uplinksCommands: CommandGroup = {
  async list(ctx, argv) {
    const { positionals } = parse(argv, {})
    const client = ctx.client()
    const site = await resolveSite(client, positional(positionals, 0, 'SITE (id or name)'))
    const uplinks = await client.listAll(`/v1/sites/${site.id}/uplinks`, uplinkPageSchema)
    printList(ctx.io, ctx.out, uplinks, uplinkColumns)
    return EXIT.ok
  },
  async create(ctx, argv) {
    const { values, positionals } = parse(argv, {
      name: { type: 'string' },
      interface: { type: 'string' },
      endpoint: { type: 'string' },
      'bandwidth-mbps': { type: 'string' },
      'cost-per-gb': { type: 'string' },
      priority: { type: 'string' },
    })
    const client = ctx.client()
    const site = await resolveSite(client, positional(positionals, 0, 'SITE (id or name)'))
    const body: Partial<UplinkCreate> = {
      name: values.name,
      interface: values.interface,
      endpoint: values.endpoint,
      bandwidthMbps: optionalInt(values['bandwidth-mbps']),
      costPerGb: optionalNumber(values['cost-per-gb']),
      priority: optionalInt(values.priority),
    }
    const path = `/v1/sites/${site.id}/uplinks`
    const uplink = await client.request('POST', path, uplinkSchema, { body })
    printObject(ctx.io, ctx.out, uplink)
    return EXIT.ok
  },
  async delete(ctx, argv) {
    const { positionals } = parse(argv, {})
    const id = positional(positionals, 0, 'UPLINK id')
    await ctx.client().request('DELETE', `/v1/uplinks/${encodeURIComponent(id)}`, null)
    printObject(ctx.io, ctx.out, { deleted: id })
    return EXIT.ok
  },
}
