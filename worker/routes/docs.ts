/**
 * `/docs`: Swagger UI over /openapi.json, from the origin's own files (docs/security.md,
 * finding 8). It used to load an unpinned bundle from a CDN onto the dashboard's origin, where the
 * dashboard keeps its API token in sessionStorage: whoever served that script could read
 * it. The page now names only same-origin files that the dashboard build copies from the
 * installed swagger-ui-dist (ui.vite.config.ts -> dist/ui/docs/assets/), served as the
 * dashboard's files are (worker/server.ts on Node, [assets] on Workers). No inline script:
 * the initializer is a file too, so the CSP (http/security-headers.ts) stays strict.
 */
import type { OpenAPIHono } from '@hono/zod-openapi'
import swaggerUiPackage from 'swagger-ui-dist/package.json' with { type: 'json' }
import type { AppEnv } from '../http/env'
import { APP_VERSION } from '../version'

/** Where the build puts Swagger UI's files (ui.vite.config.ts writes them there). */
export const DOCS_ASSETS = '/docs/assets'

// The files keep fixed names (no content hash), so the versions in the query string are what
// tell a browser that cached them "immutable" (worker/server.ts) to fetch them again.
const bust = `?v=${encodeURIComponent(`${APP_VERSION}-${swaggerUiPackage.version}`)}`

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Patronus API</title>
    <link rel="stylesheet" href="${DOCS_ASSETS}/swagger-ui.css${bust}" />
    <script src="${DOCS_ASSETS}/swagger-ui-bundle.js${bust}" defer></script>
    <script src="${DOCS_ASSETS}/swagger-init.js${bust}" defer></script>
  </head>
  <body>
    <div id="swagger-ui" data-url="/openapi.json"></div>
  </body>
</html>
`

export function docsRoutes(app: OpenAPIHono<AppEnv>) {
  app.get('/docs', (c) => {
    // The page is tiny and names versioned files: always revalidate it.
    c.header('Cache-Control', 'no-cache')
    return c.html(PAGE)
  })
}
