import { z } from '@hono/zod-openapi'
import { policyActionSchema, policyMatchSchema } from '../../protocol/policy'
import { nameSchema } from './common'

const priority = z.number().int().min(1).max(1_000_000)

export const policyCreateSchema = z
  .strictObject({
    name: nameSchema,
    priority,
    match: policyMatchSchema,
    action: policyActionSchema,
  })
  .openapi('PolicyCreate')

export const policyUpdateSchema = z
  .strictObject({
    name: nameSchema.optional(),
    priority: priority.optional(),
    match: policyMatchSchema.optional(),
    action: policyActionSchema.optional(),
  })
  .openapi('PolicyUpdate')

export const policySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    priority: z.number().int(),
    match: z.record(z.string(), z.unknown()),
    action: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.number().int(),
  })
  .openapi('Policy')

export type PolicyCreate = z.infer<typeof policyCreateSchema>
export type PolicyUpdate = z.infer<typeof policyUpdateSchema>
export type Policy = z.infer<typeof policySchema>
