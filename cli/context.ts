/**
 * What every command handler receives: the io, the output mode and a lazily made API
 * client (so `completion` and `policies check` work without credentials).
 */

import { ApiClient } from './client'
import { type Credentials, loadCredentials } from './config'
import type { AdminIo } from './io'
import type { Output } from './output'

export interface CommandContext {
  io: AdminIo
  out: Output
  client(): ApiClient
}

export type Command = (ctx: CommandContext, argv: string[]) => Promise<number>

/** A command family (`sites list`, `sites get`...): the subcommand picks the handler. */
export type CommandGroup = Record<string, Command>

export function makeContext(
  io: AdminIo,
  out: Output,
  serverFlag: string | undefined,
  onCredentials: (creds: Credentials) => void,
): CommandContext {
  let client: ApiClient | undefined
  return {
    io,
    out,
    client() {
      if (!client) {
        const creds = loadCredentials(io.env, serverFlag)
        onCredentials(creds)
        client = new ApiClient(creds, io)
      }
      return client
    },
  }
}
