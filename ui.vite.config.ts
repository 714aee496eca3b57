/**
 * Builds the dashboard (ui/) into dist/ui, which the control plane serves at `/` on both
 * runtimes (worker/server.ts on Node, wrangler.toml [assets] on Workers). Besides the
 * dashboard, the build output holds what /docs needs (Swagger UI's bundle and stylesheet
 * from the installed swagger-ui-dist, ui/public/docs/assets/swagger-init.js) and the
 * `_headers` file that gives Workers static assets the control plane's security headers.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import preact from '@preact/preset-vite'
import { defineConfig, type Plugin } from 'vite'
import { headersFile } from './worker/http/security-headers.ts'

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/** The two Swagger UI files /docs loads (worker/routes/docs.ts), under the same names. */
const SWAGGER_FILES = ['swagger-ui-bundle.js', 'swagger-ui.css']

/**
 * Copies Swagger UI out of node_modules into dist/ui/docs/assets (no CDN: docs/security.md, finding
 * 8) and writes dist/ui/_headers. Files in the build output are what both runtimes serve,
 * and Workers have no filesystem to read node_modules from at request time.
 */
function docsAndHeaders(): Plugin {
  const require = createRequire(import.meta.url)
  return {
    name: 'patronus-docs-and-headers',
    apply: 'build',
    generateBundle() {
      for (const name of SWAGGER_FILES) {
        this.emitFile({
          type: 'asset',
          fileName: `docs/assets/${name}`,
          source: readFileSync(require.resolve(`swagger-ui-dist/${name}`)),
        })
      }
      this.emitFile({ type: 'asset', fileName: '_headers', source: headersFile() })
    },
  }
}

export default defineConfig({
  root: here('./ui'),
  plugins: [preact(), docsAndHeaders()],
  build: {
    outDir: here('./dist/ui'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 700,
  },
  server: {
    // `vite --config ui.vite.config.ts` against `npm start` on the default port.
    proxy: { '/v1': 'http://127.0.0.1:8787' },
  },
})
