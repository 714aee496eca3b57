import { z } from '@hono/zod-openapi'
import { nameSchema } from './common'

/** host:port with an IPv4 address, a [bracketed] IPv6 address or a DNS name. */
export const endpointSchema = z
  .string()
  .max(270)
  .regex(
    /^(?:\[[0-9a-fA-F:.]+\]|[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*):([0-9]{1,5})$/,
    'expected host:port, e.g. 203.0.113.7:51820 or [2001:db8::7]:51820',
  )
  .refine((text) => {
    const port = Number(text.slice(text.lastIndexOf(':') + 1))
    return port >= 1 && port <= 65535
  }, 'port must be 1-65535')

/** A Linux interface name: at most 15 characters, no "/" or whitespace. */
export const interfaceNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,15}$/, 'a Linux interface name (1-15 of A-Z a-z 0-9 _ . -)')
  .refine((name) => name !== '.' && name !== '..', 'not a valid interface name')

const uplinkFields = {
  name: nameSchema,
  interface: interfaceNameSchema,
  endpoint: endpointSchema.nullable().optional(),
  bandwidthMbps: z.number().int().positive().max(1_000_000).nullable().optional(),
  costPerGb: z.number().min(0).max(1_000_000).nullable().optional(),
  priority: z.number().int().min(0).max(1000).optional(),
}

export const uplinkCreateSchema = z.strictObject(uplinkFields).openapi('UplinkCreate')

export const uplinkUpdateSchema = z
  .strictObject({
    name: uplinkFields.name.optional(),
    interface: uplinkFields.interface.optional(),
    endpoint: uplinkFields.endpoint,
    bandwidthMbps: uplinkFields.bandwidthMbps,
    costPerGb: uplinkFields.costPerGb,
    priority: uplinkFields.priority,
  })
  .openapi('UplinkUpdate')

export const uplinkSchema = z
  .object({
    id: z.string(),
    siteId: z.string(),
    name: z.string(),
    slot: z.number().int(),
    interface: z.string(),
    endpoint: z.string().nullable(),
    bandwidthMbps: z.number().nullable(),
    costPerGb: z.number().nullable(),
    priority: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.number().int(),
  })
  .openapi('Uplink')

export type UplinkCreate = z.infer<typeof uplinkCreateSchema>
export type UplinkUpdate = z.infer<typeof uplinkUpdateSchema>
export type Uplink = z.infer<typeof uplinkSchema>
