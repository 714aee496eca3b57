/** Builds the dashboard first, so the browser always tests the current ui/ sources. */
import { build } from 'vite'

export default async function setup() {
  await build({ configFile: 'ui.vite.config.ts', logLevel: 'warn' })
}
