// The baseline's activities: no I/O and no work, so a run of the bare workflow costs
// exactly what Temporal and the worker charge for scheduling two activities.

export interface BenchItem {
  i: number;
}

export function createBenchActivities() {
  return {
    /** Stands in for classifyMessage. */
    async benchFirst(item: BenchItem): Promise<BenchItem> {
      return item;
    },
    /** Stands in for applyTriage. */
    async benchSecond(item: BenchItem): Promise<BenchItem> {
      return item;
    },
    /** The reminder benchmark's baseline: when it fired. */
    async benchFire(): Promise<number> {
      return Date.now();
    },
    /** The webhook benchmark's baseline: a plain POST, no signing, no bookkeeping. */
    async benchPost({ url, id }: { url: string; id: string }): Promise<number> {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': id }, body: JSON.stringify({ id }) });
      await res.arrayBuffer();
      return res.status;
    },
  };
}

export type BenchActivities = ReturnType<typeof createBenchActivities>;
