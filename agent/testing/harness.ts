/**
 * Helpers to drive a daemon under a fake clock: a captured pino logger, an in-memory
 * desired-state store, a fetch wrapper counting requests in flight, and `drive`, which
 * advances fake time only when the daemon is blocked on the clock alone.
 */
import { generateKeyPairSync, sign } from 'node:crypto'
import type { DesiredState } from '../../protocol/agent'
import type { AgentSigner } from '../../protocol/signing'
import type { FakeClock } from '../clock/fake'
import type { FetchLike } from '../control'
import { createLogger, type Logger } from '../logger'
import type { DesiredStateStore, SyncStatus } from '../state'

export interface CapturedLog {
  logger: Logger
  lines: string[]
  messages: () => string[]
}

export function captureLogger(): CapturedLog {
  const lines: string[] = []
  const logger = createLogger('trace', { write: (line: string) => void lines.push(line) })
  return {
    logger,
    lines,
    messages: () => lines.map((l) => (JSON.parse(l) as { msg: string }).msg),
  }
}

export class MemoryStore implements DesiredStateStore {
  saves = 0
  constructor(
    public state?: DesiredState,
    public status?: SyncStatus,
  ) {}
  async load() {
    return this.state
  }
  async save(state: DesiredState) {
    this.saves++
    this.state = state
  }
  async loadSyncStatus() {
    return this.status
  }
  async saveSyncStatus(status: SyncStatus) {
    this.status = status
  }
}

export function testSigner(agentId = 'agt_1'): { signer: AgentSigner; publicKey: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  return {
    publicKey: Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url').toString(
      'base64',
    ),
    signer: { keyId: agentId, sign: async (data) => new Uint8Array(sign(null, data, privateKey)) },
  }
}

export class InflightFetch {
  inflight = 0
  constructor(private readonly inner: FetchLike) {}
  fetch: FetchLike = async (url, init) => {
    this.inflight++
    try {
      return await this.inner(url, init)
    } finally {
      this.inflight--
    }
  }
}

const realPause = () => new Promise<void>((r) => setTimeout(r, 1))

/**
 * Advances fake time step by step until `until()` holds. Between steps it waits (real
 * time, bounded) for the daemon to be quiescent: no request in flight and `sleepers`
 * clock sleeps pending (each loop blocked on the clock).
 */
export async function drive(
  clock: FakeClock,
  net: InflightFetch,
  until: () => boolean,
  { sleepers = 2, maxSteps = 500, quiesceMs = 5_000 } = {},
): Promise<void> {
  for (let step = 0; step < maxSteps; step++) {
    const deadline = Date.now() + quiesceMs
    while (!until() && !(net.inflight === 0 && clock.pending >= sleepers)) {
      if (Date.now() > deadline) throw new Error('drive: the daemon did not quiesce')
      await realPause()
    }
    if (until()) return
    clock.advanceToNext()
  }
  throw new Error(`drive: condition not reached in ${maxSteps} steps`)
}
