#!/usr/bin/env node
// The `patronus` admin executable: registers tsx so the TypeScript sources (and the API's
// own zod schemas they import) run as they are, then hands over to the entry point.
import { register } from 'tsx/esm/api'

register()
await import('../main.ts')
