import { describe, expect, it } from 'vitest'
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../protocol/version'
import { FakeClock } from '../clock/fake'
import { FakeControlPlane } from '../testing/fake-control-plane'
import { testSigner } from '../testing/harness'
import { createControlClient } from './client'
import { enrollAgent } from './enroll'
import { createModelFetcher } from './models'

describe('protocol header', () => {
  it('names the agent protocol version on every request, signed ones still verifying', async () => {
    const cp = new FakeControlPlane()
    const clock = new FakeClock(1_800_000_000_000)
    const { signer, publicKey } = testSigner(cp.agentId)
    const fetch = (url: string, init: RequestInit) => cp.fetch(url, init)
    await enrollAgent(
      'https://cp.test',
      {
        token: cp.validToken,
        hostname: 'site-a',
        agentVersion: '9.9.9',
        identityPublicKey: publicKey,
        wireguardPublicKey: publicKey,
        uplinks: [],
      },
      { fetch, clock },
    )
    const client = createControlClient({ serverUrl: 'https://cp.test', signer, fetch, clock })
    // The fake control plane answers 401 to a request whose signature does not verify.
    await client.getConfig({ etag: 0 })
    await client.heartbeat({ agentVersion: '9.9.9', uptimeSeconds: 1, uplinks: [] })
    await client
      .postTelemetry({ samples: [], activePaths: [] })
      .catch((error: Error) => expect(error.message).toMatch(/not-found|Not found/))
    await client
      .postEvents([{ type: 'path.down', at: clock.now() }])
      .catch((error: Error) => expect(error.message).toMatch(/not-found|Not found/))
    await createModelFetcher({ serverUrl: 'https://cp.test', signer, fetch, clock })('m1').catch(
      (error: Error) => expect(error.message).toMatch(/not-found|Not found/),
    )

    const paths = cp.requests.map((r) => new URL(r.url).pathname)
    expect(paths).toEqual([
      '/v1/enroll',
      '/v1/agent/config',
      '/v1/agent/heartbeat',
      '/v1/agent/telemetry',
      '/v1/agent/events',
      '/v1/agent/models/m1',
    ])
    for (const request of cp.requests) {
      expect(request.headers[PROTOCOL_HEADER], request.url).toBe(String(PROTOCOL_VERSION))
    }
  })
})
