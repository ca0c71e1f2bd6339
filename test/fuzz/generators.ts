/**
 * Building blocks of the bad-input fuzzer: a seeded PRNG (so a failing run reproduces
 * with the same FUZZ_SEED) and value generators, each of which produces something a
 * careless server might choke on. Nothing here knows about HTTP.
 */
export * from './rng.ts';
export * from './values.ts';
export * from './mutations.ts';
