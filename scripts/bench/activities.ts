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
  };
}

export type BenchActivities = ReturnType<typeof createBenchActivities>;
