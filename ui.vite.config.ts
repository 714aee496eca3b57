/**
 * Builds the dashboard (ui/) into dist/ui, which the control plane serves at `/` on both
 * runtimes (worker/server.ts on Node, wrangler.toml [assets] on Workers).
 */
import { fileURLToPath } from 'node:url'
import preact from '@preact/preset-vite'
import { defineConfig } from 'vite'

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  root: here('./ui'),
  plugins: [preact()],
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
