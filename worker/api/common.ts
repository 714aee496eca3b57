/**
 * Schemas shared by every resource: pagination, ids in paths, problem documents.
 * Request bodies are strict objects: an unknown field is a 422, never silently dropped.
 */
import { z } from '@hono/zod-openapi'

export const listQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
})

/** An id in the path, documented as a path parameter. */
export const pathId = (name: string) =>
  z
    .string()
    .max(64)
    .openapi({ param: { name, in: 'path' } })

export const problemSchema = z
  .object({
    type: z.string().url(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem')

export const pageOf = <T extends z.ZodTypeAny>(item: T, name: string) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() }).openapi(name)

export const nameSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/, 'letters, digits, space, "_", "." and "-" only')

export const isoTime = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString()
