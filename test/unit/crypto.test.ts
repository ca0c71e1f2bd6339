import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { createSecretBox, parseKey } from '../../lib/crypto.ts';

describe('secrets at rest (AES-256-GCM)', () => {
  const key = randomBytes(32);
  const box = createSecretBox({ current: key });

  it('seals and opens, with a fresh IV each time, never showing the plaintext', () => {
    const a = box.seal('whsec_topsecret');
    const b = box.seal('whsec_topsecret');
    expect(a).not.toBe(b);
    expect(a).not.toContain('topsecret');
    expect(box.open(a)).toBe('whsec_topsecret');
    expect(box.isStale(a)).toBe(false);
  });

  it('refuses a tampered value with a message that names neither key nor secret', () => {
    const sealed = box.seal('whsec_topsecret').split('.');
    // Flip a bit (replacing the first byte with a fixed one left it as it was once in 256 runs).
    const cipher = Buffer.from(sealed[4], 'base64url');
    cipher[0] ^= 1;
    sealed[4] = cipher.toString('base64url');
    const err = (() => {
      try {
        box.open(sealed.join('.'));
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    expect(err?.message).toContain('failed authentication');
    expect(err?.message).not.toContain('topsecret');
    expect(err?.message).not.toContain(key.toString('hex'));
  });

  it('opens values sealed with an older key after a rotation, and says they are stale', () => {
    const old = createSecretBox({ current: randomBytes(32) });
    const oldKeyBox = old.seal('legacy');
    const rotated = createSecretBox({ current: randomBytes(32), previous: [] });
    expect(() => rotated.open(oldKeyBox)).toThrow('unknown key');
    const oldKey = randomBytes(32);
    const sealedOld = createSecretBox({ current: oldKey }).seal('legacy');
    const withPrevious = createSecretBox({ current: randomBytes(32), previous: [oldKey] });
    expect(withPrevious.open(sealedOld)).toBe('legacy');
    expect(withPrevious.isStale(sealedOld)).toBe(true);
  });

  it('takes 32-byte keys as hex or base64 only', () => {
    expect(parseKey('ab'.repeat(32))).toHaveLength(32);
    expect(parseKey(randomBytes(32).toString('base64'))).toHaveLength(32);
    expect(() => parseKey('short')).toThrow('32 bytes');
    expect(() => parseKey('ab'.repeat(16))).toThrow('32 bytes');
  });
});
