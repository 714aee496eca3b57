/**
 * The kernel serves one dump per netlink socket at a time. Callers sharing the agent's one
 * socket (the stages, the path monitor) must never have two in flight.
 */
import type { RtNetlinkSocket } from 'netlink'
import { describe, expect, it } from 'vitest'
import { RtNetlinkRouting } from './rtnetlink'

/** A socket whose dumps take a few ms and fail as the kernel does when they overlap. */
function fakeSocket() {
  let inFlight = 0
  let most = 0
  const dump = async () => {
    inFlight++
    most = Math.max(most, inFlight)
    try {
      await new Promise((r) => setTimeout(r, 5))
      if (inFlight > 1) throw new Error('Request rejected: EBUSY')
      return []
    } finally {
      inFlight--
    }
  }
  const socket = {
    getLinks: dump,
    getAddresses: dump,
    getRoutes: dump,
    getRules: dump,
    socket: { close() {} },
  } as unknown as RtNetlinkSocket
  return { socket, most: () => most }
}

describe('RtNetlinkRouting dumps', () => {
  it('never runs two dumps at once on its socket', async () => {
    const fake = fakeSocket()
    const routing = new RtNetlinkRouting(fake.socket)
    await Promise.all([
      routing.routes(7200),
      routing.rules(4),
      routing.links(),
      routing.addresses(),
      routing.routes(7100),
    ])
    expect(fake.most()).toBe(1)
  })

  it('a failed dump does not block the ones after it', async () => {
    const fake = fakeSocket()
    const failing = {
      ...fake.socket,
      getRules: async () => {
        throw new Error('Request rejected: EPERM')
      },
    } as unknown as RtNetlinkSocket
    const routing = new RtNetlinkRouting(failing)
    const rules = routing.rules(4)
    const routes = routing.routes(7200)
    await expect(rules).rejects.toThrow()
    await expect(routes).resolves.toEqual([])
  })
})
