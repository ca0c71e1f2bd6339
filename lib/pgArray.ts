/**
 * A PostgreSQL array literal (`{"a","b \"c\""}`) for one `?` parameter: the ORM's
 * `execute` expands a JavaScript array into a `(?, ?, …)` list, which an empty array
 * turns into a syntax error and `= any(?)` cannot take. Cast it in SQL (`?::uuid[]`).
 */
export const pgArray = (values: ReadonlyArray<string | number>) => `{${values.map((v) => `"${String(v).replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;

/** Numbers as an array literal (`{0.1,-2}`), for a vector: no quoting needed, and far shorter. */
export const pgNumbers = (values: ReadonlyArray<number>) => `{${values.join(',')}}`;
