/**
 * The knowledge base's offline embedding: feature hashing of words, word pairs and
 * character trigrams into a fixed-size signed vector. No model, no download, the same
 * vector for the same text on every machine, so a fresh checkout searches by meaning's
 * nearest cheap stand-in: shared vocabulary, tolerant of inflection ("supports",
 * "support") and of small misspellings (the trigrams).
 */

export const HASH_EMBEDDING_DIM = 384;
export const HASH_EMBEDDING_MODEL = 'local-hash-v1';

const STOP_WORDS = new Set(
  ('a an and are as at be been but by can could did do does for from had has have how i if in into is it its me my of on or our so that the their them then there these they this ' +
    'to was we were what when where which who why will with would you your').split(' '),
);

const WORD = /[\p{L}\p{N}]+/gu;

/** A light suffix stripper: enough that plural, past and gerund forms share a feature. */
export function stem(word: string): string {
  if (word.length <= 3) return word;
  for (const [suffix, keep] of [
    ['ies', 'y'],
    ['ing', ''],
    ['edly', ''],
    ['ed', ''],
    ['es', ''],
    ['s', ''],
  ] as const) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 3 && !(suffix === 's' && word.endsWith('ss'))) return word.slice(0, -suffix.length) + keep;
  }
  return word;
}

/** The words that carry meaning, lower-cased and stemmed. */
export function contentWords(text: string): string[] {
  const words: string[] = [];
  for (const match of text.toLowerCase().matchAll(WORD)) {
    if (!STOP_WORDS.has(match[0])) words.push(stem(match[0]));
  }
  return words;
}

/** FNV-1a, 32 bits: fast, stable across platforms and releases. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function add(vector: Float64Array, feature: string, weight: number): void {
  const hash = fnv1a(feature);
  // The top bit picks the sign, so unrelated features cancel out on average instead of piling up.
  vector[hash % vector.length] += hash & 0x80000000 ? -weight : weight;
}

const UNIGRAM = 1;
const BIGRAM = 0.5;
const TRIGRAM = 0.3;

/** The unit vector of `text` in `dimension` dimensions. Text with no content word still gets a (fixed) unit vector. */
export function hashEmbedding(text: string, dimension: number): number[] {
  const vector = new Float64Array(dimension);
  const words = contentWords(text);
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i];
    add(vector, `w:${word}`, UNIGRAM);
    if (i > 0) add(vector, `b:${words[i - 1]} ${word}`, BIGRAM);
    const marked = `<${word}>`;
    for (let c = 0; c + 3 <= marked.length; c += 1) add(vector, `c:${marked.slice(c, c + 3)}`, TRIGRAM);
  }
  let sumOfSquares = 0;
  for (const value of vector) sumOfSquares += value * value;
  if (sumOfSquares === 0) {
    // No content word (or every feature cancelled): one fixed feature, never a zero vector.
    add(vector, 'empty', 1);
    sumOfSquares = 1;
  }
  const norm = Math.sqrt(sumOfSquares);
  return Array.from(vector, (value) => value / norm);
}
