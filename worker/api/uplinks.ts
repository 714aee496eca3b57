import { z } from '@hono/zod-openapi'
import { endpointSchema } from '../../protocol/endpoint'
import { nameSchema } from './common'

/** A Linux interface name: at most 15 characters, no "/" or whitespace. */
export const interfaceNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,15}$/, 'a Linux interface name (1-15 of A-Z a-z 0-9 _ . -)')
  .refine((name) => name !== '.' && name !== '..', 'not a valid interface name')

const uplinkFields = {
  name: nameSchema,
  interface: interfaceNameSchema,
  // One grammar with the agent's enrollment claim (protocol/endpoint.ts).
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
