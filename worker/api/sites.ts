import { z } from '@hono/zod-openapi'
import { cidrSchema, labelsSchema } from '../../protocol/policy'
import { nameSchema } from './common'

export const siteRoleSchema = z.enum(['hub', 'spoke', 'mesh'])

export const siteCreateSchema = z
  .strictObject({
    name: nameSchema,
    region: z.string().trim().min(1).max(64).nullable().optional(),
    prefixes: z.array(cidrSchema).max(256).default([]),
    role: siteRoleSchema.default('mesh'),
    labels: labelsSchema.default({}),
  })
  .openapi('SiteCreate')

export const siteUpdateSchema = z
  .strictObject({
    name: nameSchema.optional(),
    region: z.string().trim().min(1).max(64).nullable().optional(),
    prefixes: z.array(cidrSchema).max(256).optional(),
    role: siteRoleSchema.optional(),
    labels: labelsSchema.optional(),
  })
  .openapi('SiteUpdate')

export const siteSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    region: z.string().nullable(),
    prefixes: z.array(z.string()),
    role: siteRoleSchema,
    labels: z.record(z.string(), z.string()),
    overlayAddress: z.string().nullable(),
    agentId: z.string().nullable(),
    status: z.enum(['online', 'offline']),
    lastSeenAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.number().int(),
  })
  .openapi('Site')

export type SiteCreate = z.infer<typeof siteCreateSchema>
export type SiteUpdate = z.infer<typeof siteUpdateSchema>
export type Site = z.infer<typeof siteSchema>
