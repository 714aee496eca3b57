/**
 * The response headers every answer carries (docs/security.md, finding 8): API, problems, 404s, the
 * dashboard's files and /docs. One list, used three ways so the runtimes cannot drift:
 * the app's middleware (both runtimes), the Node static server (worker/server.ts), and the
 * `_headers` file the dashboard build writes for Workers static assets, which are served
 * without running the Worker (ui.vite.config.ts).
 *
 * Not hono's `secureHeaders`: it builds its headers per request from options and adds
 * HSTS by default, so the `_headers` file would have to copy its output by hand. HSTS is
 * left to whatever terminates TLS (Cloudflare's edge setting, the reverse proxy in front of
 * `npm start`): on plain-HTTP installs it means nothing, and with `includeSubDomains` it
 * would pin the operator's other hosts.
 */
import type { MiddlewareHandler } from 'hono'

/**
 * The dashboard and Swagger UI load only their own files: no inline script or style (the
 * dashboard sets styles through the CSSOM, which `style-src` does not govern), images
 * from the origin plus `data:` (the favicon, Swagger UI's icons), fetches only to the API.
 * A JSON response carries it too: harmless there, and it keeps a response that is ever
 * rendered as a page (a sniffing proxy, a saved file) from running anything.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ')

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  // Scripts and styles only run when served with their own type (no sniffing into JS).
  'X-Content-Type-Options': 'nosniff',
  // Dashboard URLs carry ids (sites, webhooks); no page leaks them to another origin.
  'Referrer-Policy': 'no-referrer',
  // frame-ancestors for browsers that predate CSP 2: no clickjacking the dashboard.
  'X-Frame-Options': 'DENY',
  // Another origin's page cannot embed the API's answers (Spectre-style reads).
  'Cross-Origin-Resource-Policy': 'same-origin',
}

/** Sets SECURITY_HEADERS on the response, after the handler, the error handler or 404. */
export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next()
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value)
}

/**
 * The same headers as a Workers static-assets `_headers` file: one rule for every path.
 * Workers apply it only to files they serve from dist/ui; the Worker's own answers carry
 * the middleware's headers instead.
 */
export function headersFile(): string {
  const lines = Object.entries(SECURITY_HEADERS).map(([name, value]) => `  ${name}: ${value}`)
  return [
    '# Written by `npm run build:ui` from worker/http/security-headers.ts: do not edit.',
    '/*',
    ...lines,
    '',
  ].join('\n')
}
