/**
 * Actor: anyone who can reach the control plane's origin without a token, and any page on
 * another origin a signed-in operator visits. They must not get script onto the dashboard's
 * origin (where the API token sits in sessionStorage), frame it, or learn its URLs from a
 * Referer (docs/security.md).
 */
import { describe, expect, it } from 'vitest'
import { type ApiTarget, Client, expectProblem } from '../api/harness'

/** `a 'b'; c d` -> { a: ["'b'"], c: ['d'] } */
function cspDirectives(header: string | null): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const part of (header ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/)
    if (name) out[name.toLowerCase()] = values
  }
  return out
}

function expectHardened(headers: Headers, what: string) {
  expect(headers.get('x-content-type-options'), what).toBe('nosniff')
  expect(headers.get('referrer-policy'), what).toBe('no-referrer')
  expect(headers.get('x-frame-options'), what).toBe('DENY')
  const csp = headers.get('content-security-policy')
  expect(csp, what).not.toMatch(/unsafe-|\*|https?:/)
  const directives = cspDirectives(csp)
  expect(directives, what).toMatchObject({
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'style-src': ["'self'"],
    'connect-src': ["'self'"],
    'frame-ancestors': ["'none'"],
    'base-uri': ["'none'"],
    'object-src': ["'none'"],
  })
}

/**
 * Every URL an HTML page loads or links, after checking it has no inline script or style
 * (the CSP would refuse them) and names no other origin: only `/...` paths and `data:`.
 */
function ownFilesOnly(html: string, what: string): string[] {
  expect(html, `${what}: inline script`).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i)
  expect(html, `${what}: inline style`).not.toMatch(/<style|\sstyle=/i)
  const urls = [...html.matchAll(/\s(?:src|href)=["']([^"']*)["']/gi)].map((m) => m[1] ?? '')
  for (const url of urls) expect(url, `${what} loads ${url}`).toMatch(/^(?:\/(?!\/)|data:)/)
  return urls.filter((url) => url.startsWith('/'))
}

export function anonymousSecurity(target: () => ApiTarget) {
  describe('security: anonymous', () => {
    it('finding 8: CSP, nosniff, no-referrer and DENY on every answer; /docs loads only its own files', async () => {
      const anon = new Client(target(), undefined)
      const admin = new Client(target(), target().adminToken)

      const dashboard = await anon.get('/')
      expect(dashboard.status).toBe(200)
      expect(dashboard.headers.get('content-type')).toMatch(/text\/html/)
      expectHardened(dashboard.headers, 'the dashboard')
      ownFilesOnly(String(dashboard.body), 'the dashboard')

      const health = await anon.get('/healthz')
      expect(health.status).toBe(200)
      expectHardened(health.headers, 'an API answer')
      const refused = await anon.get('/v1/sites')
      expectProblem(refused, 401, 'unauthenticated')
      expectHardened(refused.headers, 'a 401 problem')
      const missing = await admin.get('/v1/no-such-route')
      expectProblem(missing, 404, 'not-found')
      expectHardened(missing.headers, 'a 404 problem')

      const docs = await anon.get('/docs')
      expect(docs.status).toBe(200)
      expect(docs.headers.get('content-type')).toMatch(/text\/html/)
      expectHardened(docs.headers, '/docs')
      const files = ownFilesOnly(String(docs.body), '/docs')
      const paths = files.map((url) => url.split('?')[0])
      expect(paths).toEqual(
        expect.arrayContaining([
          '/docs/assets/swagger-ui-bundle.js',
          '/docs/assets/swagger-ui.css',
          '/docs/assets/swagger-init.js',
        ]),
      )
      // nosniff makes a browser refuse a script or stylesheet served under another type.
      for (const url of files) {
        const file = await target().fetch(url)
        const type = file.headers.get('content-type') ?? ''
        expect(file.status, url).toBe(200)
        if (url.includes('.js')) expect(type, url).toMatch(/^(?:text|application)\/javascript/)
        else if (url.includes('.css')) expect(type, url).toMatch(/^text\/css/)
        expectHardened(file.headers, url)
        const text = await file.text()
        if (url.includes('swagger-ui-bundle.js')) expect(text).toContain('SwaggerUIBundle')
      }
    })
  })
}
