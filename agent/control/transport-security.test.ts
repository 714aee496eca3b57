/**
 * The control client against a hostile path (docs/security.md, finding 12): http:// refused unless
 * allowed, answers read with a byte cap (declared Content-Length refused before reading,
 * a growing body aborted past the cap without being buffered), the timeout covering the
 * body, and redirects not followed. Bodies are pull-counting streams, so a test can tell
 * how much the client actually read.
 */
import { describe, expect, it, vi } from 'vitest'
import { FakeClock } from '../clock/fake'
import { desiredState } from '../testing/fixtures'
import { testSigner } from '../testing/harness'
import {
  MAX_DESIRED_STATE_BYTES,
  MAX_JSON_RESPONSE_BYTES,
  MAX_PROBLEM_BYTES,
  ResponseTooLargeError,
} from './body'
import { createControlClient } from './client'
import { enrollAgent } from './enroll'
import { ControlPlaneProblemError, ControlPlaneUnreachableError } from './errors'
import { createModelFetcher, MAX_MODEL_DOCUMENT_BYTES } from './models'
import { InsecureServerUrlError } from './server-url'
import type { FetchLike } from './transport'

const CHUNK = 256 * 1024

/** A body that never ends: counts the bytes pulled and whether it was cancelled. */
function endless(signal?: AbortSignal | null) {
  const chunk = new Uint8Array(CHUNK).fill(0x20)
  const seen = { pulled: 0, cancelled: false }
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        // Like undici: aborting the request errors its body.
        signal?.addEventListener('abort', () => controller.error(signal.reason))
      },
      pull(controller) {
        seen.pulled += chunk.byteLength
        controller.enqueue(chunk)
      },
      cancel() {
        seen.cancelled = true
      },
    },
    // Nothing is pulled before the client reads.
    { highWaterMark: 0 },
  )
  return { body, seen }
}

const { signer } = testSigner()
const request = {
  token: `pet_${'x'.repeat(43)}`,
  hostname: 'edge-1',
  agentVersion: '0.1.0',
  identityPublicKey: Buffer.alloc(32, 1).toString('base64'),
  wireguardPublicKey: Buffer.alloc(32, 2).toString('base64'),
  uplinks: [],
}

function client(fetch: FetchLike, serverUrl = 'https://cp.test', allowInsecureHttp?: boolean) {
  return createControlClient({
    serverUrl,
    signer,
    fetch,
    clock: new FakeClock(),
    ...(allowInsecureHttp === undefined ? {} : { allowInsecureHttp }),
  })
}

describe('control client transport security', () => {
  it('refuses an http:// server unless allowInsecureHttp, before any request; https:// by default', async () => {
    const calls: string[] = []
    const fetch: FetchLike = async (url) => {
      calls.push(url)
      return new Response(null, { status: 304 })
    }
    const clock = new FakeClock()
    expect(() => client(fetch, 'http://cp.test')).toThrow(InsecureServerUrlError)
    expect(() => client(fetch, 'HTTP://cp.test')).toThrow(/--insecure-http/)
    expect(() => createModelFetcher({ serverUrl: 'http://cp.test', signer, fetch, clock })).toThrow(
      InsecureServerUrlError,
    )
    await expect(enrollAgent('http://cp.test', request, { fetch, clock })).rejects.toThrow(
      /control plane http:\/\/cp\.test is plain HTTP: .*--insecure-http/,
    )
    expect(calls).toEqual([])

    expect(await client(fetch, 'http://cp.test', true).getConfig({ etag: 1 })).toEqual({
      status: 'unchanged',
    })
    expect(await client(fetch, 'https://cp.test').getConfig({ etag: 1 })).toEqual({
      status: 'unchanged',
    })
    expect(calls).toEqual(['http://cp.test/v1/agent/config', 'https://cp.test/v1/agent/config'])
  })

  it('refuses a desired state declared over 8 MiB without reading a byte of it', async () => {
    let seen: ReturnType<typeof endless>['seen'] | undefined
    const fetch: FetchLike = async (_url, init) => {
      const stream = endless(init.signal)
      seen = stream.seen
      const length = String(MAX_DESIRED_STATE_BYTES + 1)
      return new Response(stream.body, { headers: { 'content-length': length } })
    }
    const error = await client(fetch)
      .getConfig()
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ResponseTooLargeError)
    expect((error as Error).message).toBe(
      `fetch desired state: the answer is over ${MAX_DESIRED_STATE_BYTES} bytes`,
    )
    expect(seen).toEqual({ pulled: 0, cancelled: true })
  })

  it('aborts a chunked desired state as soon as it grows past 8 MiB (no Content-Length)', async () => {
    let seen: ReturnType<typeof endless>['seen'] | undefined
    const fetch: FetchLike = async (_url, init) => {
      const stream = endless(init.signal)
      seen = stream.seen
      return new Response(stream.body)
    }
    await expect(client(fetch).getConfig()).rejects.toThrow(ResponseTooLargeError)
    expect(seen?.cancelled).toBe(true)
    // Read up to the cap and one chunk past it: never the endless rest.
    expect(seen?.pulled).toBe(MAX_DESIRED_STATE_BYTES + CHUNK)
  })

  it('accepts a streamed document under the cap, and a smaller cap when configured', async () => {
    const text = JSON.stringify(desiredState(7))
    const chunked = () =>
      new Response(
        new ReadableStream({
          start(controller) {
            for (let i = 0; i < text.length; i += 100) {
              controller.enqueue(new TextEncoder().encode(text.slice(i, i + 100)))
            }
            controller.close()
          },
        }),
      )
    const result = await client(async () => chunked()).getConfig()
    expect(result).toMatchObject({ status: 'changed', state: { revision: 7 } })
    const small = createControlClient({
      serverUrl: 'https://cp.test',
      signer,
      fetch: async () => chunked(),
      clock: new FakeClock(),
      maxDesiredStateBytes: text.length - 1,
    })
    await expect(small.getConfig()).rejects.toThrow(`over ${text.length - 1} bytes`)
  })

  it('caps the enrollment answer at 1 MiB, declared or streamed', async () => {
    const clock = new FakeClock()
    let seen: ReturnType<typeof endless>['seen'] | undefined
    const declared: FetchLike = async () =>
      new Response(endless().body, {
        status: 201,
        headers: { 'content-length': String(MAX_JSON_RESPONSE_BYTES + 1) },
      })
    await expect(
      enrollAgent('https://cp.test', request, { fetch: declared, clock }),
    ).rejects.toThrow(`enroll: the answer is over ${MAX_JSON_RESPONSE_BYTES} bytes`)
    const streamed: FetchLike = async (_url, init) => {
      const stream = endless(init.signal)
      seen = stream.seen
      return new Response(stream.body, { status: 201 })
    }
    await expect(
      enrollAgent('https://cp.test', request, { fetch: streamed, clock }),
    ).rejects.toBeInstanceOf(ResponseTooLargeError)
    expect(seen?.pulled).toBe(MAX_JSON_RESPONSE_BYTES + CHUNK)
  })

  it('caps a model document, declared or streamed, before it is hashed or parsed', async () => {
    let seen: ReturnType<typeof endless>['seen'] | undefined
    let declare = true
    const fetch: FetchLike = async (_url, init) => {
      const stream = endless(init.signal)
      seen = stream.seen
      const headers: Record<string, string> = declare
        ? { 'content-length': String(MAX_MODEL_DOCUMENT_BYTES + 1) }
        : {}
      return new Response(stream.body, { headers })
    }
    const fetchModel = createModelFetcher({
      serverUrl: 'https://cp.test',
      signer,
      fetch,
      clock: new FakeClock(),
    })
    await expect(fetchModel('pathfail-v1')).rejects.toThrow(ResponseTooLargeError)
    expect(seen).toEqual({ pulled: 0, cancelled: true })
    declare = false
    await expect(fetchModel('pathfail-v1')).rejects.toThrow(
      `fetch model pathfail-v1: the answer is over ${MAX_MODEL_DOCUMENT_BYTES} bytes`,
    )
    expect(seen?.pulled).toBe(MAX_MODEL_DOCUMENT_BYTES + CHUNK)
  })

  it('reads an error body only up to 64 KiB and still reports the status', async () => {
    let seen: ReturnType<typeof endless>['seen'] | undefined
    const fetch: FetchLike = async (_url, init) => {
      const stream = endless(init.signal)
      seen = stream.seen
      return new Response(stream.body, { status: 502, statusText: 'Bad Gateway' })
    }
    const error = await client(fetch)
      .getConfig()
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ControlPlaneProblemError)
    expect((error as Error).message).toBe('fetch desired state: Bad Gateway (HTTP 502)')
    expect(seen?.pulled).toBeLessThanOrEqual(MAX_PROBLEM_BYTES + CHUNK)
  })

  it('times out a body that trickles past the deadline (the timeout covers the read)', async () => {
    const clock = new FakeClock()
    const fetch: FetchLike = async (_url, init) =>
      new Response(
        new ReadableStream<Uint8Array>(
          {
            start(controller) {
              controller.enqueue(new TextEncoder().encode('{"revision":'))
              init.signal?.addEventListener('abort', () => controller.error(init.signal?.reason))
            },
          },
          { highWaterMark: 0 },
        ),
      )
    const c = createControlClient({
      serverUrl: 'https://cp.test',
      signer,
      fetch,
      clock,
      requestTimeoutMs: 10_000,
    })
    const pending = c.getConfig().catch((e: unknown) => e)
    await vi.waitFor(() => expect(clock.sleeps).toEqual([10_000]), { timeout: 5000 })
    clock.advance(10_000)
    const error = await pending
    expect(error).toBeInstanceOf(ControlPlaneUnreachableError)
    expect((error as Error).message).toBe(
      'reach control plane https://cp.test/v1/agent/config: answer not complete within 10 s',
    )
  })

  it('does not follow redirects: a 3xx is an error, and nothing is sent to its Location', async () => {
    const calls: { url: string; redirect: RequestRedirect | undefined }[] = []
    const fetch: FetchLike = async (url, init) => {
      calls.push({ url, redirect: init.redirect })
      return new Response(null, { status: 307, headers: { location: 'http://evil.test/' } })
    }
    await expect(client(fetch).getConfig()).rejects.toThrow(/HTTP 307/)
    await expect(
      enrollAgent('https://cp.test', request, { fetch, clock: new FakeClock() }),
    ).rejects.toThrow(/enrollment refused: .*HTTP 307/)
    expect(calls).toEqual([
      { url: 'https://cp.test/v1/agent/config', redirect: 'manual' },
      { url: 'https://cp.test/v1/enroll', redirect: 'manual' },
    ])
  })
})
