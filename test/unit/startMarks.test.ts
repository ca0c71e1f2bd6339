import { describe, expect, it } from '@jest/globals';
import { createStartMarks } from '../../api/startMarks.ts';
import type { MikroORM } from '../../lib/db.ts';
import { createLogger } from '../../lib/logger.ts';

/** The ORM as the marks use it: one statement, recorded with the rows it marks. */
function recordingOrm(opts: { writeMs?: number; fail?: boolean } = {}) {
  const batches: Array<Array<{ id: string; run_id: string | null }>> = [];
  const orm = {
    em: {
      getConnection: () => ({
        async execute(_sql: string, params: unknown[]) {
          batches.push(JSON.parse(String(params[0])));
          await new Promise((r) => setTimeout(r, opts.writeMs ?? 0));
          if (opts.fail) throw new Error('connection refused');
        },
      }),
    },
  } as unknown as MikroORM;
  return { orm, batches };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('start marks', () => {
  it('writes the marks made close together in one statement, not one per request', async () => {
    const { orm, batches } = recordingOrm();
    const marks = createStartMarks(orm, createLogger('silent', 'test'));
    for (let i = 0; i < 5; i++) marks.mark(`row-${i}`, `run-${i}`);
    await sleep(20);
    marks.mark('row-5', null);
    await marks.drain();
    expect(batches).toEqual([[...[0, 1, 2, 3, 4].map((i) => ({ id: `row-${i}`, run_id: `run-${i}` as string | null })), { id: 'row-5', run_id: null }]]);
  });

  it('keeps marks made while a batch is written for the next one, and writes them all before drain returns', async () => {
    const { orm, batches } = recordingOrm({ writeMs: 150 });
    const marks = createStartMarks(orm, createLogger('silent', 'test'));
    marks.mark('a', 'ra');
    await sleep(180); // the first batch is being written now
    marks.mark('b', 'rb');
    marks.mark('c', 'rc');
    await marks.drain();
    expect(batches.map((b) => b.map((m) => m.id))).toEqual([['a'], ['b', 'c']]);
  });

  it('drops a batch it could not write (the relay starts those rows again) and goes on with the next', async () => {
    const { orm, batches } = recordingOrm({ fail: true });
    const marks = createStartMarks(orm, createLogger('silent', 'test'));
    marks.mark('a', 'ra');
    await marks.drain();
    marks.mark('b', 'rb');
    await marks.drain();
    expect(batches.map((b) => b.map((m) => m.id))).toEqual([['a'], ['b']]);
  });
});
