import { defineConfig } from 'drizzle-kit'

// drizzle-kit writes SQL migrations from worker/db/schema.ts into migrations/;
// `npm run db:generate` then refreshes migrations/bundle.json, which both runtimes apply.
export default defineConfig({
  dialect: 'turso',
  schema: './worker/db/schema.ts',
  out: './migrations',
})
