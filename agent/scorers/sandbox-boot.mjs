// Entry of a scorer sandbox's worker thread (agent/scorers/sandbox.ts). The agent's sources
// are TypeScript run through tsx (agent/bin/patronus-agent.js), and a worker thread starts
// with a module loader of its own, so it registers tsx again before loading the sandbox.
import { register } from 'tsx/esm/api'

register()
await import('./sandbox-worker.ts')
