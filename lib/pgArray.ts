/**
 * A PostgreSQL array literal (`{"a","b \"c\""}`) for one `?` parameter: the ORM's
 * `execute` expands a JavaScript array into a `(?, ?, …)` list, which an empty array
 * turns into a syntax error and `= any(?)` cannot take. Cast it in SQL (`?::uuid[]`).
 */
export const pgArray = (values: ReadonlyArray<string | number>) => `{${values.map((v) => `"${String(v).replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
