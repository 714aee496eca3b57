/**
 * The site's keys, made on the site and never sent anywhere (architecture: "agents hold
 * their own keys"): an Ed25519 identity key that signs every request to the control plane,
 * and an X25519 WireGuard key. Only the public halves leave this module's callers, as
 * base64 of the raw 32 bytes (WireGuard's own text form).
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { AgentSigner } from '../../protocol/signing'
import { StateError } from './errors'
import { writeFileAtomic } from './files'
import type { StatePaths } from './paths'

export interface PublicKeys {
  identityPublicKey: string
  wireguardPublicKey: string
}

export interface GeneratedKeys extends PublicKeys {
  identityPrivatePem: string
  wireguardPrivateKey: string
}

/** Raw 32-byte key from a JWK member (base64url) as standard base64. */
function rawBase64(jwkMember: string | undefined, what: string): string {
  if (!jwkMember) throw new Error(`export ${what}: no key material`)
  return Buffer.from(jwkMember, 'base64url').toString('base64')
}

export function generateKeys(): GeneratedKeys {
  const identity = generateKeyPairSync('ed25519')
  const wireguard = generateKeyPairSync('x25519')
  const wgJwk = wireguard.privateKey.export({ format: 'jwk' })
  return {
    identityPrivatePem: identity.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    identityPublicKey: rawBase64(
      identity.publicKey.export({ format: 'jwk' }).x,
      'identity public key',
    ),
    wireguardPrivateKey: rawBase64(wgJwk.d, 'WireGuard private key'),
    wireguardPublicKey: rawBase64(wgJwk.x, 'WireGuard public key'),
  }
}

/** Writes both private keys with mode 0600 (atomically, so a crash never half-writes one). */
export async function saveKeys(paths: StatePaths, keys: GeneratedKeys): Promise<void> {
  await writeFileAtomic(paths.identityKey, keys.identityPrivatePem)
  await writeFileAtomic(paths.wireguardKey, `${keys.wireguardPrivateKey}\n`)
}

async function loadIdentityKey(paths: StatePaths): Promise<KeyObject> {
  let pem: string
  try {
    pem = await readFile(paths.identityKey, 'utf8')
  } catch (error) {
    throw new StateError(`read identity key ${paths.identityKey}: ${(error as Error).message}`)
  }
  try {
    const key = createPrivateKey(pem)
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key')
    return key
  } catch (error) {
    // The message names the file only: never echo key material into an error.
    throw new StateError(
      `identity key ${paths.identityKey} is unreadable (${(error as Error).message}); re-enroll with --force`,
    )
  }
}

/** The request signer: Ed25519 with the identity key, keyId = the agent id. */
export async function loadSigner(paths: StatePaths, agentId: string): Promise<AgentSigner> {
  const key = await loadIdentityKey(paths)
  return {
    keyId: agentId,
    sign: async (data) => new Uint8Array(sign(null, data, key)),
  }
}

/** The identity public key (raw base64) of the key on disk, for `status`. */
export async function loadIdentityPublicKey(paths: StatePaths): Promise<string> {
  const key = await loadIdentityKey(paths)
  return rawBase64(createPublicKey(key).export({ format: 'jwk' }).x, 'identity public key')
}
