import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../lib/config.ts';
describe('config', () => {
  it('reports missing values by name', () => {
    expect(() => loadConfig({})).toThrow(/DATABASE_URL is required/);
  });
});
