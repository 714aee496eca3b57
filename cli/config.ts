/**
 * Where `patronus login` keeps the server and token: `$XDG_CONFIG_HOME/patronus/config.json`
 * (default ~/.config), mode 0600 because the token is a bearer credential. PATRONUS_SERVER
 * and PATRONUS_TOKEN override the file, so CI can run the CLI without logging in.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { UsageError } from './io'

export interface Credentials {
  server: string
  token: string
}

const configFileSchema = z.object({ server: z.string().optional(), token: z.string().optional() })

export function configPath(env: Record<string, string | undefined>): string {
  const base = env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config')
  return join(base, 'patronus', 'config.json')
}

/** A server URL without a trailing slash, so paths join as `${server}/v1/...`. */
export function normaliseServer(text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new UsageError(`--server ${text} is not a URL (e.g. https://patronus.example.com)`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`--server ${text} must be an http(s):// URL`)
  }
  return url.toString().replace(/\/+$/, '')
}

export function saveCredentials(env: Record<string, string | undefined>, creds: Credentials) {
  const path = configPath(env)
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  writeFileSync(path, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 })
  // writeFileSync's mode applies only when it creates the file: tighten an older one too.
  chmodSync(path, 0o600)
  return path
}

function readConfigFile(env: Record<string, string | undefined>) {
  const path = configPath(env)
  if (!existsSync(path)) return {}
  const parsed = configFileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')))
  if (!parsed.success) throw new UsageError(`${path} is not a patronus config file`)
  return parsed.data
}

/** The server and token to use: the environment first, then the login file. */
export function loadCredentials(
  env: Record<string, string | undefined>,
  serverFlag?: string,
): Credentials {
  const file = readConfigFile(env)
  const server = serverFlag || env['PATRONUS_SERVER'] || file.server
  const token = env['PATRONUS_TOKEN'] || file.token
  if (!server || !token) {
    throw new UsageError(
      'not logged in: run `patronus login --server URL --token TOKEN` (or set PATRONUS_SERVER and PATRONUS_TOKEN)',
    )
  }
  return { server: normaliseServer(server), token }
}
