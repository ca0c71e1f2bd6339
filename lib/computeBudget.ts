import vm from 'node:vm';

/** A synchronous computation stopped for running past its budget. */
export class BudgetExceededError extends Error {
  readonly budgetMs: number;
  constructor(budgetMs: number) {
    super(`the computation ran past its budget of ${budgetMs} ms`);
    this.budgetMs = budgetMs;
    this.name = 'BudgetExceededError';
  }
}

// One context and one compiled call for every use: the budget is the only thing each use adds.
const context = vm.createContext({ work: undefined as undefined | (() => unknown) });
const call = new vm.Script('work()');

/**
 * Runs `work` (synchronous) and stops it if it runs longer than `ms`, for third-party code
 * that can loop for seconds on input a client chose. The timeout is V8's own: it
 * interrupts whatever JavaScript runs on this thread, this realm's functions included,
 * at the cost of a watchdog thread per call (about 0.1 ms).
 */
export function withinBudget<T>(work: () => T, ms: number): T {
  context.work = work;
  try {
    return call.runInContext(context, { timeout: ms }) as T;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new BudgetExceededError(ms);
    throw err;
  } finally {
    context.work = undefined;
  }
}
