import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../lib/config.ts';

describe('config', () => {
  it('reports every missing value by name', () => {
    expect(() => loadConfig({})).toThrow(/DATABASE_URL is required[\s\S]*JWT_SECRET is required[\s\S]*ENCRYPTION_KEY is required/);
  });

  it('reports every bad value with its rule, all at once', () => {
    try {
      loadConfig({ DATABASE_URL: 'mysql://x', JWT_SECRET: 'short', PORT: 'http', TRIAGE_CONFIDENCE_THRESHOLD: '3', ENCRYPTION_KEY: 'short', WEBHOOK_RETRY_SCHEDULE: '0,5 minutes', OUTBOUND_ALLOWED_HOSTS: '10.0.0.0/x' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => p.split(':')[0]).sort()).toEqual(['DATABASE_URL', 'ENCRYPTION_KEY', 'JWT_SECRET', 'OUTBOUND_ALLOWED_HOSTS', 'PORT', 'TRIAGE_CONFIDENCE_THRESHOLD', 'WEBHOOK_RETRY_SCHEDULE']);
    }
  });

  it('takes ENCRYPTION_KEYS alone: its first key seals, the others open', () => {
    const [a, b] = ['ab'.repeat(32), 'cd'.repeat(32)];
    const config = loadConfig({ DATABASE_URL: 'postgres://localhost/x', JWT_SECRET: 'x'.repeat(32), ENCRYPTION_KEYS: `${a}, ${b}` });
    expect(config.encryption.current.toString('hex')).toBe(a);
    expect(config.encryption.previous.map((k) => k.toString('hex'))).toEqual([b]);
  });

  it('derives TLS for Temporal Cloud from an API key', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://localhost/x', JWT_SECRET: 'x'.repeat(32), ENCRYPTION_KEY: 'ab'.repeat(32), TEMPORAL_API_KEY: 'key' });
    expect(config.temporal).toMatchObject({ apiKey: 'key', tls: true, taskQueue: 'ai-secretary' });
  });
});
