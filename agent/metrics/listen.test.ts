import { describe, expect, it } from 'vitest'
import { DEFAULT_METRICS_LISTEN, ListenParseError, parseListen } from './listen'

describe('parseListen', () => {
  it('parses host:port, [ipv6]:port and the default', () => {
    expect(parseListen(DEFAULT_METRICS_LISTEN)).toEqual({ host: '127.0.0.1', port: 9469 })
    expect(parseListen('0.0.0.0:0')).toEqual({ host: '0.0.0.0', port: 0 })
    expect(parseListen('[::1]:9100')).toEqual({ host: '::1', port: 9100 })
    expect(parseListen('localhost:80')).toEqual({ host: 'localhost', port: 80 })
  })

  it('rejects what is not host:port', () => {
    for (const bad of [
      '9469',
      '127.0.0.1',
      ':9469',
      '::1:9469',
      '[nope]:1',
      'a b:1',
      '1.2.3.4:70000',
      '',
    ]) {
      expect(() => parseListen(bad), bad).toThrow(ListenParseError)
    }
  })
})
