import { z } from '@hono/zod-openapi'

export const auditEntrySchema = z
  .object({
    id: z.string(),
    actor: z.string().openapi({ description: 'token id, `agent:<id>` or `system`' }),
    action: z.string(),
    objectType: z.string(),
    objectId: z.string(),
    at: z.string(),
    details: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('AuditEntry')

export const auditQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
  objectId: z.string().max(64).optional(),
  actor: z.string().max(80).optional(),
})

export type AuditEntry = z.infer<typeof auditEntrySchema>
