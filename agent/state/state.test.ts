import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { desiredState } from '../testing/fixtures'
import { fileStore } from './cache'
import { StateError } from './errors'
import { ensurePrivateDir, writeFileAtomic } from './files'
import { generateKeys, loadIdentityPublicKey, loadSigner, saveKeys } from './identity'
import { statePaths } from './paths'

let root: string
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'patronus-agent-state-'))
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

const mode = async (path: string) => (await stat(path)).mode & 0o777

describe('state directory', () => {
  it('creates the directory 0700 and key files 0600', async () => {
    const paths = statePaths(join(root, 'state'))
    await ensurePrivateDir(paths.dir)
    const keys = generateKeys()
    await saveKeys(paths, keys)
    expect(await mode(paths.dir)).toBe(0o700)
    expect(await mode(paths.identityKey)).toBe(0o600)
    expect(await mode(paths.wireguardKey)).toBe(0o600)
    expect(await readFile(paths.wireguardKey, 'utf8')).toBe(`${keys.wireguardPrivateKey}\n`)
    expect(await loadIdentityPublicKey(paths)).toBe(keys.identityPublicKey)
  })

  it('makes 32-byte public keys in WireGuard text form, distinct per call', () => {
    const a = generateKeys()
    const b = generateKeys()
    for (const key of [a.identityPublicKey, a.wireguardPublicKey, a.wireguardPrivateKey]) {
      expect(Buffer.from(key, 'base64')).toHaveLength(32)
      expect(key).toMatch(/=$/)
    }
    expect(a.identityPublicKey).not.toBe(b.identityPublicKey)
    expect(a.identityPrivatePem).toMatch(/BEGIN PRIVATE KEY/)
  })

  it('refuses an existing directory other users can read', async () => {
    const shared = join(root, 'shared')
    await mkdir(shared)
    await chmod(shared, 0o755)
    await expect(ensurePrivateDir(shared)).rejects.toThrow(/accessible by other users \(mode 755\)/)
  })

  it('writes atomically with mode 0600 even over a wider file, leaving no temp files', async () => {
    const path = join(root, 'x.json')
    await writeFile(path, 'old', { mode: 0o644 })
    await writeFileAtomic(path, 'new')
    expect(await readFile(path, 'utf8')).toBe('new')
    expect(await mode(path)).toBe(0o600)
    expect(await readdir(root)).toEqual(['x.json'])
  })

  it('round-trips the desired-state cache and sync status', async () => {
    const paths = statePaths(root)
    const store = fileStore(paths)
    expect(await store.load()).toBeUndefined()
    await store.save(desiredState(7))
    await store.saveSyncStatus({ lastSyncAt: '2026-01-01T00:00:00.000Z', revision: 7 })
    expect((await store.load())?.revision).toBe(7)
    expect(await store.loadSyncStatus()).toEqual({
      lastSyncAt: '2026-01-01T00:00:00.000Z',
      revision: 7,
    })
    expect(await mode(paths.desiredState)).toBe(0o600)
  })

  it('turns a corrupt cache into a clear StateError naming the file', async () => {
    const paths = statePaths(root)
    const store = fileStore(paths)
    await writeFile(paths.desiredState, '{"revision": ')
    await expect(store.load()).rejects.toThrow(
      new StateError(
        `cached desired state ${paths.desiredState} is corrupt (not JSON); delete it or re-run sync`,
      ),
    )
    await writeFile(paths.desiredState, JSON.stringify({ ...desiredState(1), revision: 'x' }))
    await expect(store.load()).rejects.toThrow(/is corrupt \(revision: /)
  })

  it('signs with the stored identity key and refuses a damaged key file', async () => {
    const paths = statePaths(root)
    await saveKeys(paths, generateKeys())
    const signer = await loadSigner(paths, 'agt_9')
    expect(signer.keyId).toBe('agt_9')
    expect(await signer.sign(new Uint8Array([1, 2, 3]))).toHaveLength(64)
    await writeFile(paths.identityKey, 'garbage')
    await expect(loadSigner(paths, 'agt_9')).rejects.toThrow(/identity key .* is unreadable/)
  })
})
