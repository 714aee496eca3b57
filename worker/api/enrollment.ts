import { z } from '@hono/zod-openapi'
import { enrollRequestSchema, enrollResponseSchema } from '../../protocol/agent'

export const enrollmentTokenCreateSchema = z
  .strictObject({
    /** 1 minute .. 30 days; one day by default. */
    expiresInSeconds: z
      .number()
      .int()
      .min(60)
      .max(30 * 86400)
      .default(86400),
    maxUses: z.number().int().min(1).max(10_000).default(1),
  })
  .openapi('EnrollmentTokenCreate')

export const enrollmentTokenSchema = z
  .object({
    id: z.string(),
    siteId: z.string(),
    expiresAt: z.string(),
    maxUses: z.number().int(),
    uses: z.number().int(),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .openapi('EnrollmentToken')

export const enrollmentTokenCreatedSchema = enrollmentTokenSchema
  .extend({ token: z.string().openapi({ description: 'Shown once (pet_...)' }) })
  .openapi('EnrollmentTokenCreated')

export const agentSchema = z
  .object({
    id: z.string(),
    siteId: z.string(),
    hostname: z.string(),
    agentVersion: z.string(),
    identityPublicKey: z.string(),
    wireguardPublicKey: z.string(),
    enrolledAt: z.string(),
    revokedAt: z.string().nullable(),
    lastSeenAt: z.string().nullable(),
    status: z.enum(['online', 'offline', 'revoked']),
    appliedRevision: z.number().int().nullable(),
    uplinkStates: z.array(z.object({ name: z.string(), state: z.string() })).nullable(),
  })
  .openapi('Agent')

export const enrollBodySchema = enrollRequestSchema.openapi('EnrollRequest')
export const enrollResultSchema = enrollResponseSchema.openapi('EnrollResponse')

export type EnrollmentTokenCreate = z.infer<typeof enrollmentTokenCreateSchema>
export type AgentView = z.infer<typeof agentSchema>
