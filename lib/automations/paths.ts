/**
 * Dotted paths into a run's context (pure): `contact.phone`, `steps.notify.output.sid`,
 * `items.0.name`. Only own properties of plain objects and arrays are followed, so a path
 * can never reach a prototype (`__proto__`, `constructor`) or anything it was not given.
 */
export const PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;

export function valueAt(root: unknown, path: string): unknown {
  let at: unknown = root;
  for (const key of path.split('.')) {
    if (at === null || typeof at !== 'object' || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** Whether an event's data matches a `wait_for_event` step: no field named, or the field's value is the rendered one. */
export const fieldEquals = (data: unknown, field: string | null, equals: string | null): boolean => !field || String(valueAt(data, field)) === equals;
