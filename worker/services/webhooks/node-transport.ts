/**
 * The Node transport: node:http(s) with a `lookup` that resolves the hostname with
 * node:dns and refuses loopback/private/link-local answers at connect time, so a name
 * cannot point at the internal network, not even by changing between a check and the
 * connection (DNS rebinding). Imported only by the Node entry point.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import http from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'
import { isBlockedAddress } from './target'
import { TransportError, type WebhookTransport } from './transport'

function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0)
      const list = addresses ?? []
      const blocked = allowPrivate ? undefined : list.find((a) => isBlockedAddress(a.address))
      if (blocked) {
        const refused = new Error(`${hostname} resolves to ${blocked.address}, a private address`)
        ;(refused as NodeJS.ErrnoException).code = 'EWEBHOOKBLOCKED'
        return callback(refused, '', 0)
      }
      if (list.length === 0) return callback(new Error(`${hostname} has no address`), '', 0)
      if ((options as { all?: boolean }).all) {
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list)
      }
      callback(null, list[0]!.address, list[0]!.family)
    })
  }
}

export function nodeTransport(allowPrivate: boolean): WebhookTransport {
  const lookup = guardedLookup(allowPrivate)
  return (request) =>
    new Promise((resolve, reject) => {
      const url = new URL(request.url)
      const client = url.protocol === 'https:' ? https : http
      let settled = false
      const fail = (error: TransportError) => {
        if (settled) return
        settled = true
        reject(error)
      }
      const req = client.request(
        url,
        {
          method: 'POST',
          headers: { ...request.headers, 'content-length': Buffer.byteLength(request.body) },
          lookup,
          timeout: request.timeoutMs,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = []
          let size = 0
          res.on('data', (chunk: Buffer) => {
            if (size >= request.maxResponseBytes) return
            chunks.push(chunk)
            size += chunk.length
            if (size >= request.maxResponseBytes) res.destroy()
          })
          const done = () => {
            if (settled) return
            settled = true
            clearTimeout(deadline)
            const retryAfter = res.headers['retry-after']
            resolve({
              status: res.statusCode ?? 0,
              retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
              body: Buffer.concat(chunks).subarray(0, request.maxResponseBytes).toString('utf8'),
            })
          }
          res.on('end', done)
          res.on('close', done)
          res.on('error', done)
        },
      )
      // `timeout` above is idle time; this is the whole exchange's deadline.
      const deadline = setTimeout(() => {
        fail(new TransportError('timeout', `no response within ${request.timeoutMs} ms`))
        req.destroy()
      }, request.timeoutMs)
      req.on('timeout', () => {
        fail(new TransportError('timeout', `no response within ${request.timeoutMs} ms`))
        req.destroy()
      })
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(deadline)
        const kind = error.code === 'EWEBHOOKBLOCKED' ? 'blocked' : 'network'
        fail(new TransportError(kind, error.message))
      })
      req.end(request.body)
    })
}
