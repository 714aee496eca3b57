import { z } from '@hono/zod-openapi'
import {
  applicationNameSchema,
  applicationPortSchema,
  hostSuffixSchema,
  isCatalogueApplication,
  MAX_APPLICATION_NAMES,
  MAX_APPLICATION_PORTS,
} from '../../protocol/applications'

/**
 * A builtin or default name is refused as a validation error (422), not a conflict (409):
 * it is reserved whatever the org holds, so the same request can never succeed, like an
 * invalid name. A name another application of the org holds is a 409.
 */
const newName = applicationNameSchema.refine((name) => !isCatalogueApplication(name), {
  message: 'a builtin or default application has this name; choose another',
})

const unique = <T>(list: T[]) =>
  [...new Set(list.map((v) => JSON.stringify(v)))].map((v) => JSON.parse(v) as T)

/** Ports and names; duplicates are dropped, and one of the two lists must not be empty. */
const signature = {
  ports: z
    .array(applicationPortSchema)
    .max(MAX_APPLICATION_PORTS)
    .default([])
    .transform(unique)
    .openapi({
      description: 'tcp/udp ports or ranges, e.g. {"protocol": "tcp", "ports": "8000-8100"}',
    }),
  names: z
    .array(hostSuffixSchema)
    .max(MAX_APPLICATION_NAMES)
    .default([])
    .transform(unique)
    .openapi({
      description:
        'TLS SNI / HTTP Host name suffixes, label-aligned: "example.com" matches "a.example.com"',
    }),
}

type Signature = { ports: unknown[]; names: unknown[] }
const needsOne = (value: Signature, ctx: z.RefinementCtx) => {
  if (value.ports.length === 0 && value.names.length === 0)
    ctx.addIssue({
      code: 'custom',
      path: ['names'],
      message: 'an application needs names or ports (or both)',
    })
}

export const applicationCreateSchema = z
  .strictObject({ name: newName, ...signature })
  .superRefine(needsOne)
  .openapi('ApplicationCreate')

/** PUT replaces the definition: an absent list is empty. The name is the path's. */
export const applicationReplaceSchema = z
  .strictObject(signature)
  .superRefine(needsOne)
  .openapi('ApplicationReplace')

export const applicationSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    ports: z.array(z.object({ protocol: z.enum(['tcp', 'udp']), ports: z.string() })),
    names: z.array(z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.number().int(),
  })
  .openapi('Application')

export type ApplicationCreate = z.infer<typeof applicationCreateSchema>
export type ApplicationReplace = z.infer<typeof applicationReplaceSchema>
export type Application = z.infer<typeof applicationSchema>
