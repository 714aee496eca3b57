/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com, "Signature scheme"):
 * `webhook-signature: v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>`, one
 * signature per valid secret separated by spaces (rotation). The `standardwebhooks`
 * package computes them; it is pure JS (fast-sha256), so it runs on Workers too.
 */
import { Webhook } from 'standardwebhooks'

export const SECRET_PREFIX = 'whsec_'

/** A new signing secret: `whsec_` + base64 of 24 random bytes (as the spec's examples). */
export function newWebhookSecret(): string {
  const raw = crypto.getRandomValues(new Uint8Array(24))
  let binary = ''
  for (const b of raw) binary += String.fromCharCode(b)
  return SECRET_PREFIX + btoa(binary)
}

export function signatureHeader(
  secrets: readonly string[],
  msgId: string,
  timestampSeconds: number,
  payload: string,
): string {
  const at = new Date(timestampSeconds * 1000)
  return secrets.map((s) => new Webhook(s).sign(msgId, at, payload)).join(' ')
}
