// A patient API client: every POST carries an Idempotency-Key and is retried until the
// API accepts it, through restarts of the API, the worker and Temporal, as a real client
// with retries would. "Accepted" is a 2xx answer.
import { setTimeout as sleep } from 'node:timers/promises';

export interface Attempted {
  accepted: boolean;
  attempts: number;
  status: number;
  body: unknown;
}

/** A FormData body is framed anew on each try (a boundary of its own), as a client's retry would be. */
export async function postUntilAccepted(url: string, init: { body: string | FormData; headers: Record<string, string> }, deadlineMs: number): Promise<Attempted> {
  let attempts = 0;
  let status = 0;
  let body: unknown = null;
  while (Date.now() < deadlineMs) {
    attempts++;
    try {
      const res = await fetch(url, { method: 'POST', body: init.body, headers: init.headers, signal: AbortSignal.timeout(15_000) });
      status = res.status;
      const text = await res.text();
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = text;
      }
      if (res.ok) return { accepted: true, attempts, status, body };
      // 409 "still being processed" and 5xx are worth another try; other 4xx are final.
      if (status < 500 && status !== 409 && status !== 429) return { accepted: false, attempts, status, body };
    } catch {
      status = 0; // connection refused or reset: the API is restarting
    }
    await sleep(Math.min(2_000, 100 * 2 ** Math.min(attempts, 5)));
  }
  return { accepted: false, attempts, status, body };
}

/** Runs `task` over `items` with at most `concurrency` at once, calling `onDone` after each. */
export async function pool<T>(items: T[], concurrency: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const index = next++;
        await task(items[index], index);
      }
    }),
  );
}
