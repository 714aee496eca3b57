/**
 * Random secrets shown once and stored only as SHA-256 hashes (API tokens, enrollment
 * tokens). WebCrypto, so the same code runs on Workers and Node.
 */

export function randomSecret(prefix: string, bytes = 32): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes))
  let binary = ''
  for (const b of raw) binary += String.fromCharCode(b)
  const base64url = btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
  return `${prefix}_${base64url}`
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('')
}
