#!/usr/bin/env node
// The `patronus-agent` executable: registers tsx so the TypeScript sources run as they
// are (no build step for the agent), then hands over to the CLI entry point.
import { register } from 'tsx/esm/api'

register()
await import('../cli/main.ts')
