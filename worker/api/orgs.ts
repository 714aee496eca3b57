import { z } from '@hono/zod-openapi'
import { cidrSchema } from '../../protocol/policy'
import { nameSchema } from './common'

export const roleSchema = z.enum(['admin', 'operator', 'viewer'])

export const orgCreateSchema = z
  .strictObject({
    name: nameSchema,
    topology: z.enum(['mesh', 'hub-and-spoke']).default('mesh'),
    overlayPool: cidrSchema.default('100.64.0.0/10'),
  })
  .openapi('OrgCreate')

export const orgSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    topology: z.enum(['mesh', 'hub-and-spoke']),
    overlayPool: z.string(),
    createdAt: z.string(),
    version: z.number().int(),
  })
  .openapi('Org')

export const tokenCreateSchema = z
  .strictObject({ name: nameSchema, role: roleSchema })
  .openapi('TokenCreate')

export const tokenSchema = z
  .object({
    id: z.string(),
    orgId: z.string(),
    name: z.string(),
    role: roleSchema,
    instanceAdmin: z.boolean(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .openapi('Token')

export const tokenCreatedSchema = tokenSchema
  .extend({ token: z.string().openapi({ description: 'Shown once; store it now.' }) })
  .openapi('TokenCreated')

export type OrgCreate = z.infer<typeof orgCreateSchema>
export type Org = z.infer<typeof orgSchema>
export type TokenCreate = z.infer<typeof tokenCreateSchema>
export type Token = z.infer<typeof tokenSchema>
