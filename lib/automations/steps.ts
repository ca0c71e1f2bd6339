/**
 * The step graph of an automation (pure): actions run in order; a step may jump with
 * `next` (a step id, or `end`), a `branch` goes to `then` or `else` (a step id; omitted:
 * on to the following step), and `stop` ends the run. Runs never loop: a definition with
 * a cycle is refused on save, as is a step no path reaches.
 */
export interface StepShape {
  id: string;
  type: string;
  next?: string;
  then?: string;
  else?: string;
}

/** Steps get their own `id`, else `step_<n>` (1-based), so outputs can be named in templates. */
export const stepIdOf = (action: { id?: unknown }, index: number): string => (typeof action.id === 'string' && action.id ? action.id : `step_${index + 1}`);

export const END = 'end';

/** The step a jump from `index` lands on: `id`'s index, the following step when no id is given, or -1 for the end. */
export function targetOf(steps: ReadonlyArray<{ id: string }>, index: number, id: string | undefined): number {
  if (id === undefined) return index + 1 < steps.length ? index + 1 : -1;
  return id === END ? -1 : steps.findIndex((x) => x.id === id);
}

/** Where a step can go after it runs: step indexes, or -1 for the end. */
export function successors(steps: StepShape[], index: number): number[] {
  const s = steps[index];
  if (s.type === 'stop') return [-1];
  if (s.type === 'branch') return [...new Set([targetOf(steps, index, s.then), targetOf(steps, index, s.else)])];
  return [targetOf(steps, index, s.next)];
}

export interface GraphIssue {
  index: number;
  field: 'id' | 'next' | 'then' | 'else' | 'type';
  message: string;
}

/** Duplicate ids, jumps to nowhere, steps no path reaches, and cycles. */
export function graphIssues(steps: StepShape[]): GraphIssue[] {
  const issues: GraphIssue[] = [];
  const seen = new Map<string, number>();
  steps.forEach((s, i) => {
    if (seen.has(s.id)) issues.push({ index: i, field: 'id', message: `"${s.id}" is already the id of step ${seen.get(s.id)! + 1}` });
    else seen.set(s.id, i);
    if (s.id === END) issues.push({ index: i, field: 'id', message: `"${END}" is reserved` });
    for (const field of ['next', 'then', 'else'] as const) {
      const target = s[field];
      if (target !== undefined && target !== END && !steps.some((x) => x.id === target)) issues.push({ index: i, field, message: `no step has the id "${target}"` });
    }
  });
  if (issues.length || steps.length === 0) return issues;

  // Reachability from the first step, and a cycle by depth-first search (grey = on the path).
  const colour = new Array<0 | 1 | 2>(steps.length).fill(0);
  const visit = (i: number): void => {
    colour[i] = 1;
    for (const next of successors(steps, i)) {
      if (next < 0) continue;
      if (colour[next] === 1) {
        const field = steps[i].type === 'branch' ? (steps[i].then === steps[next].id ? 'then' : 'else') : 'next';
        issues.push({ index: i, field, message: `goes back to step "${steps[next].id}": automations may not loop` });
      } else if (colour[next] === 0) visit(next);
    }
    colour[i] = 2;
  };
  visit(0);
  colour.forEach((c, i) => {
    if (c === 0) issues.push({ index: i, field: 'type', message: 'is never reached (a stop, branch or next skips it)' });
  });
  return issues;
}
