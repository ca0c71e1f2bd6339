import { describe, expect, it } from '@jest/globals';
import { BudgetExceededError, withinBudget } from '../../lib/computeBudget.ts';

describe('withinBudget', () => {
  it('returns what the work returns and passes its own errors on unchanged', () => {
    expect(withinBudget(() => 6 * 7, 1_000)).toBe(42);
    const mine = new RangeError('mine');
    expect(() =>
      withinBudget(() => {
        throw mine;
      }, 1_000),
    ).toThrow(mine);
  });

  it('stops a synchronous loop of this realm past its budget, and works again afterwards', () => {
    let spins = 0;
    const started = Date.now();
    expect(() =>
      withinBudget(() => {
        for (;;) spins++;
      }, 50),
    ).toThrow(BudgetExceededError);
    expect(spins).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(withinBudget(() => 'again', 1_000)).toBe('again');
  });
});
