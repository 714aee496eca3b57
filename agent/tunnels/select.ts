/**
 * Picks the WireGuard backend: kernel when the generic-netlink family `wireguard` exists,
 * else userspace wireguard-go. The reason is returned so the agent can log which it chose.
 */
import type { Routing } from '../routing/types'
import { KernelWireGuardBackend } from './kernel'
import type { WireGuardBackend, WireGuardBackendKind } from './types'
import { type UserspaceBackendOptions, UserspaceWireGuardBackend } from './userspace'

export interface SelectBackendOptions {
  prefer?: 'auto' | WireGuardBackendKind
  routing: Routing
  userspace?: UserspaceBackendOptions
}

export interface SelectedBackend {
  backend: WireGuardBackend
  reason: string
}

export async function selectWireGuardBackend(
  options: SelectBackendOptions,
): Promise<SelectedBackend> {
  const prefer = options.prefer ?? 'auto'
  const userspace = () =>
    new UserspaceWireGuardBackend({
      deleteLink: (name) => options.routing.deleteLink(name),
      ...options.userspace,
    })
  if (prefer === 'userspace') {
    return { backend: userspace(), reason: 'userspace requested' }
  }
  try {
    const backend = await KernelWireGuardBackend.open(options.routing)
    return { backend, reason: 'kernel: generic netlink family "wireguard" present' }
  } catch (err) {
    if (prefer === 'kernel') throw err
    const why = err instanceof Error ? err.message : String(err)
    return { backend: userspace(), reason: `userspace wireguard-go: kernel unavailable (${why})` }
  }
}
