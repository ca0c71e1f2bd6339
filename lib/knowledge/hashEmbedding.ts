/**
 * The knowledge base's offline embedding: feature hashing of words, word pairs and
 * character trigrams into a fixed-size signed vector. No model, no download, the same
 * vector for the same text on every machine, so a fresh checkout searches by meaning's
 * nearest cheap stand-in: shared vocabulary, tolerant of inflection ("charges",
 * "charged", "charge") and of small misspellings (the trigrams).
 *
 * Changing anything here changes every vector: once passages are stored, those of
 * HASH_EMBEDDING_MODEL would no longer match fresh queries, so from then on a change
 * ships under a new model name (POST /knowledge/reindex re-embeds another model's).
 */

export const HASH_EMBEDDING_DIM = 384;
export const HASH_EMBEDDING_MODEL = 'local-hash-v1';

const STOP_WORDS = new Set(
  ('a an and are as at be been but by can could did do does for from had has have how i if in into is it its me my of on or our so that the their them then there these they this ' +
    'to was we were what when where which who why will with would you your ' +
    // What is left of "don't", "it's", "we'll" once the apostrophe splits them.
    'd ll m re s t ve').split(' '),
);

// Marks belong to the word (decomposed accents, Devanagari or Thai vowel signs), but never start one.
const WORD = /[\p{L}\p{N}][\p{L}\p{M}\p{N}]*/gu;
const VOWEL = /[aeiouy]/;
const SURROGATE = /[\uD800-\uDFFF]/;

function stripVerbEnding(word: string): string {
  // "need", "speed", "agreed": the e belongs to the word, the d is not a past tense.
  if (word.endsWith('eed')) return word;
  for (const suffix of ['ing', 'ed']) {
    if (!word.endsWith(suffix)) continue;
    const base = word.slice(0, -suffix.length);
    // "sing", "bring", "string", "red": what would remain is not a word of its own.
    if (base.length < 3 || !VOWEL.test(base)) return word;
    // "shipping" -> "ship", "planned" -> "plan"; but "billing" -> "bill", "passed" -> "pass".
    const last = base[base.length - 1];
    if (base.length > 3 && last === base[base.length - 2] && !'lsz'.includes(last) && !VOWEL.test(last)) return base.slice(0, -1);
    return base;
  }
  return word;
}

/**
 * A light English suffix stripper: plural, past, gerund and the silent e, so that the
 * forms of a word share one feature ("prices", "priced", "pricing", "price" -> "pric").
 * Stems need not be words; they only need to agree.
 */
export function stem(word: string): string {
  if (word.length <= 3) return word;
  let w = word;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('ied') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (/(?:ss|x|ch|sh|z)es$/.test(w)) w = w.slice(0, -2);
  // "status", "analysis", "business" are singular.
  else if (w.endsWith('s') && !/(?:ss|us|is)$/.test(w)) w = w.slice(0, -1);
  else w = stripVerbEnding(w);
  if (w.length > 3 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}

// Bound once: inside a Node vm context (as Jest runs tests) every lookup of the global
// `Math` goes through an interceptor, which made the hot loops below ~60 times slower.
const { imul, sqrt } = Math;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Continues an FNV-1a hash over `text`'s UTF-16 code units. */
function feed(hash: number, text: string): number {
  let h = hash;
  for (let i = 0; i < text.length; i += 1) h = imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

/** FNV-1a, 32 bits: fast, stable across platforms and releases. */
export function fnv1a(text: string): number {
  return feed(FNV_OFFSET, text) >>> 0;
}

/**
 * Murmur3's finaliser. FNV-1a's low bits depend only on the low bits of each character
 * (its last step is a multiplication), so `hash % 32` could not tell "p" from "0";
 * mixing spreads every input bit over every output bit.
 */
export function mix32(hash: number): number {
  let h = hash;
  h = imul(h ^ (h >>> 16), 0x85ebca6b);
  h = imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

// Each feature is hashed as it would be written out ("w:word", "b:one two", "c:<wo"),
// fed piece by piece: no string is built for it, which matters at millions of features.
const UNIGRAM_SEED = feed(FNV_OFFSET, 'w:');
const BIGRAM_SEED = feed(FNV_OFFSET, 'b:');
const TRIGRAM_SEED = feed(FNV_OFFSET, 'c:');
const EMPTY = mix32(fnv1a('empty'));

/** What a content word adds to a vector, whatever the text: hashes already mixed. */
interface WordFeatures {
  stem: string;
  unigram: number;
  /** The bigram hash fed up to "b:<stem> ", for the next word to finish. */
  bigramStart: number;
  trigrams: number[];
}

function trigramsOf(word: string): number[] {
  const marked = `<${word}>`;
  const hashes: number[] = [];
  if (!SURROGATE.test(marked)) {
    for (let c = 0; c + 3 <= marked.length; c += 1) {
      hashes.push(mix32(imul(imul(imul(TRIGRAM_SEED ^ marked.charCodeAt(c), FNV_PRIME) ^ marked.charCodeAt(c + 1), FNV_PRIME) ^ marked.charCodeAt(c + 2), FNV_PRIME)));
    }
    return hashes;
  }
  // Outside the BMP a character is two code units: trigrams of characters, not of halves.
  const chars = Array.from(marked);
  for (let c = 0; c + 3 <= chars.length; c += 1) hashes.push(mix32(feed(TRIGRAM_SEED, chars[c] + chars[c + 1] + chars[c + 2])));
  return hashes;
}

// A knowledge base repeats a small vocabulary: stemming and hashing each word once, not
// at each of its occurrences, is most of the speed. Emptied when full rather than LRU:
// simpler, and a refill costs only what the first pass did.
const WORD_CACHE_LIMIT = 50_000;
const wordCache = new Map<string, WordFeatures | null>();

/** The features of a lower-cased token, null for a stop word. */
function featuresOf(token: string): WordFeatures | null {
  let features = wordCache.get(token);
  if (features !== undefined) return features;
  if (STOP_WORDS.has(token)) features = null;
  else {
    const stemmed = stem(token);
    features = { stem: stemmed, unigram: mix32(feed(UNIGRAM_SEED, stemmed)), bigramStart: feed(feed(BIGRAM_SEED, stemmed), ' '), trigrams: trigramsOf(stemmed) };
  }
  if (wordCache.size >= WORD_CACHE_LIMIT) wordCache.clear();
  wordCache.set(token, features);
  return features;
}

const NON_ASCII = /[\u0080-\uffff]/;
const ASCII_WORD = /[a-z0-9]+/g;

/** The content words of `text` in order, with their features. */
function words(text: string): WordFeatures[] {
  // NFKC first: a decomposed "é", a full-width letter or a ligature then reads like its plain form.
  const lower = text.normalize('NFKC').toLowerCase();
  // Plain ASCII (most text) tokenizes the same with a far cheaper pattern.
  const pattern = NON_ASCII.test(lower) ? WORD : ASCII_WORD;
  const found: WordFeatures[] = [];
  for (const match of lower.matchAll(pattern)) {
    const features = featuresOf(match[0]);
    if (features) found.push(features);
  }
  return found;
}

/** The words that carry meaning, lower-cased and stemmed. */
export function contentWords(text: string): string[] {
  return words(text).map((word) => word.stem);
}

function add(vector: Float64Array, hash: number, weight: number): void {
  // The top bit picks the sign, so unrelated features cancel out on average instead of piling up.
  vector[hash % vector.length] += hash & 0x80000000 ? -weight : weight;
}

const UNIGRAM = 1;
const BIGRAM = 0.5;
const TRIGRAM = 0.3;

/**
 * The unit vector of `text` in `dimension` (≥ 1) dimensions. Text with no content word
 * still gets a (fixed) unit vector: a zero vector would make every cosine NaN.
 */
export function hashEmbedding(text: string, dimension: number): number[] {
  if (!Number.isInteger(dimension) || dimension < 1) throw new RangeError(`an embedding has at least 1 dimension, not ${dimension}`);
  const vector = new Float64Array(dimension);
  const found = words(text);
  for (let i = 0; i < found.length; i += 1) {
    const word = found[i];
    add(vector, word.unigram, UNIGRAM);
    if (i > 0) add(vector, mix32(feed(found[i - 1].bigramStart, word.stem)), BIGRAM);
    for (const trigram of word.trigrams) add(vector, trigram, TRIGRAM);
  }
  let sumOfSquares = 0;
  for (let i = 0; i < dimension; i += 1) sumOfSquares += vector[i] * vector[i];
  // Tiny rather than zero: features can cancel to a residue of rounding.
  if (sumOfSquares < 1e-12) {
    vector.fill(0);
    add(vector, EMPTY, 1);
    sumOfSquares = 1;
  }
  const norm = sqrt(sumOfSquares);
  // A plain loop: Array.from with a mapping function was a fifth of the time.
  const unit = new Array<number>(dimension);
  for (let i = 0; i < dimension; i += 1) unit[i] = vector[i] / norm;
  return unit;
}
