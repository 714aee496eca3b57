import { z } from '@hono/zod-openapi'
import { scorerNameSchema } from '../../protocol/policy'

/** A scorer name in the path, documented as a path parameter. */
export const scorerNameParam = scorerNameSchema.openapi({ param: { name: 'name', in: 'path' } })

export const scorerSchema = z
  .object({
    name: z.string(),
    id: z.string().openapi({ description: 'This version’s id: new on every upload of new bytes' }),
    sha256: z.string().openapi({ description: 'SHA-256 of the component bytes, lowercase hex' }),
    size: z.number().int().openapi({ description: 'Component size in bytes' }),
    createdAt: z.string().openapi({ description: 'When this version was uploaded' }),
  })
  .openapi('Scorer')

export type Scorer = z.infer<typeof scorerSchema>
