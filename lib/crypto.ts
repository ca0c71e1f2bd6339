import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * Secrets at rest (webhook secrets, provider credentials): AES-256-GCM with a key from
 * `ENCRYPTION_KEY`. A sealed value names its key, so keys rotate: the new key seals,
 * older ones in `ENCRYPTION_KEYS` still open what they sealed (and `isStale` says so,
 * for re-sealing). Errors never carry the key or the plaintext.
 *
 * Format: `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url), keyId = 8 hex of sha256(key).
 */
export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
  /** true when sealed with an older key (re-seal it) */
  isStale(sealed: string): boolean;
}

const KEY_BYTES = 32;
const IV_BYTES = 12;

const keyId = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 8);

/** A 32-byte key written as 64 hex characters or as base64; anything else throws. */
export function parseKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : /^[A-Za-z0-9+/_-]{42,44}={0,2}$/.test(t) ? Buffer.from(t, 'base64') : null;
  if (!key || key.length !== KEY_BYTES) throw new Error('must be 32 bytes, as 64 hex characters or base64 (openssl rand -hex 32)');
  return key;
}

export function createSecretBox(keys: { current: Buffer; previous?: Buffer[] }): SecretBox {
  const byId = new Map<string, Buffer>();
  for (const k of [keys.current, ...(keys.previous ?? [])]) byId.set(keyId(k), k);
  const currentId = keyId(keys.current);

  const parts = (sealed: string) => {
    const p = sealed.split('.');
    if (p.length !== 5 || p[0] !== 'v1') throw new Error('not a sealed secret');
    return { id: p[1], iv: Buffer.from(p[2], 'base64url'), tag: Buffer.from(p[3], 'base64url'), data: Buffer.from(p[4], 'base64url') };
  };

  return {
    seal(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', keys.current, iv);
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['v1', currentId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
    },
    open(sealed) {
      const { id, iv, tag, data } = parts(sealed);
      const key = byId.get(id);
      if (!key) throw new Error(`sealed with an unknown key (${id}): add it to ENCRYPTION_KEYS`);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
      } catch {
        throw new Error('sealed secret failed authentication (tampered or wrong key)');
      }
    },
    isStale(sealed) {
      return parts(sealed).id !== currentId;
    },
  };
}

export function hmacSha256(key: Buffer | string, data: string | Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

export function randomToken(bytes: number): Buffer {
  return randomBytes(bytes);
}
