import { z } from '@hono/zod-openapi'
import { EVENT_TYPES } from '../../protocol/telemetry'

/** What an endpoint can subscribe to: stored events, alert notifications, or `*`. */
export const MESSAGE_TYPES = [...EVENT_TYPES, 'alert.firing', 'alert.resolved'] as const

const messageTypeSchema = z
  .string()
  .refine((t) => t === '*' || MESSAGE_TYPES.includes(t as never), {
    message: `unknown event type; one of ${MESSAGE_TYPES.join(', ')}, or "*"`,
  })

const urlSchema = z.string().trim().min(1).max(2048)
const descriptionSchema = z.string().trim().max(200).nullable()

export const webhookCreateSchema = z
  .strictObject({
    url: urlSchema.openapi({ example: 'https://hooks.example.com/patronus' }),
    description: descriptionSchema.optional(),
    events: z.array(messageTypeSchema).min(1).max(64),
    format: z.enum(['json', 'slack']).default('json'),
    enabled: z.boolean().default(true),
  })
  .openapi('WebhookCreate')

export const webhookUpdateSchema = z
  .strictObject({
    url: urlSchema.optional(),
    description: descriptionSchema.optional(),
    events: z.array(messageTypeSchema).min(1).max(64).optional(),
    format: z.enum(['json', 'slack']).optional(),
    enabled: z.boolean().optional(),
  })
  .openapi('WebhookUpdate')

export const webhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(z.string()),
    format: z.enum(['json', 'slack']),
    enabled: z.boolean(),
    consecutiveFailures: z.number().int(),
    disabledAt: z.string().nullable(),
    disabledReason: z.string().nullable(),
    previousSecretExpiresAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.number().int(),
  })
  .openapi('Webhook')

export const webhookWithSecretSchema = webhookSchema
  .extend({
    secret: z.string().openapi({ description: 'The signing secret (`whsec_...`), shown once' }),
  })
  .openapi('WebhookWithSecret')

export const deliverySchema = z
  .object({
    id: z.string().openapi({ description: 'The `webhook-id` header: stable across retries' }),
    webhookId: z.string(),
    type: z.string(),
    eventId: z.string().nullable(),
    alertId: z.string().nullable(),
    status: z.enum(['pending', 'succeeded', 'failed', 'cancelled']),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    lastAttemptAt: z.string().nullable(),
    responseStatus: z.number().int().nullable(),
    latencyMs: z.number().int().nullable(),
    error: z.string().nullable(),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
  })
  .openapi('WebhookDelivery')

export const deliveryQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
  status: z.enum(['pending', 'succeeded', 'failed', 'cancelled']).optional(),
})

export type WebhookCreate = z.infer<typeof webhookCreateSchema>
export type WebhookUpdate = z.infer<typeof webhookUpdateSchema>
