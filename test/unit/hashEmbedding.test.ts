import { describe, expect, it } from '@jest/globals';
import { HASH_EMBEDDING_DIM, HASH_EMBEDDING_MODEL, contentWords, fnv1a, hashEmbedding, mix32, stem } from '../../lib/knowledge/hashEmbedding.ts';

const dot = (a: number[], b: number[]): number => a.reduce((sum, value, i) => sum + value * b[i], 0);
const norm = (a: number[]): number => Math.sqrt(dot(a, a));
const cosine = (a: string, b: string, dimension = HASH_EMBEDDING_DIM) => dot(hashEmbedding(a, dimension), hashEmbedding(b, dimension));

describe('hashEmbedding', () => {
  it('names its model and size', () => {
    expect(HASH_EMBEDDING_MODEL).toBe('local-hash-v1');
    expect(HASH_EMBEDDING_DIM).toBe(384);
  });

  it('gives a unit vector of the asked size, the same on every call', () => {
    for (const dimension of [1, 2, 32, 384, 1536]) {
      const vector = hashEmbedding('Refund policy for annual plans', dimension);
      expect(vector).toHaveLength(dimension);
      expect(norm(vector)).toBeCloseTo(1, 10);
      expect(hashEmbedding('Refund policy for annual plans', dimension)).toEqual(vector);
    }
    expect(() => hashEmbedding('x', 0)).toThrow(RangeError);
    expect(() => hashEmbedding('x', 2.5)).toThrow(RangeError);
  });

  it('gives text without a content word one fixed unit vector, never zeros or NaN', () => {
    const empty = hashEmbedding('', 384);
    expect(norm(empty)).toBeCloseTo(1, 10);
    expect(empty.every(Number.isFinite)).toBe(true);
    expect(empty.filter((value) => value !== 0)).toHaveLength(1);
    for (const text of ['   ', 'the and of it', '!!! ... ???']) expect(hashEmbedding(text, 384)).toEqual(empty);
    expect(hashEmbedding('refund', 384)).not.toEqual(empty);
  });

  it('puts texts that share words closer than texts that do not', () => {
    expect(cosine('Refund policy for annual plans', 'Refund policy for monthly plans')).toBeGreaterThan(cosine('Refund policy for annual plans', 'Opening hours'));
    expect(cosine('How do I get a refund for my order?', 'How can I get a refund for my order')).toBeGreaterThan(cosine('How do I get a refund for my order?', 'Office closed on public holidays'));
    // Unrelated texts sit near 0, which is what the local provider's calibration floor assumes.
    expect(Math.abs(cosine('Refund policy for annual plans', 'Opening hours'))).toBeLessThan(0.2);
  });

  it('ignores case, stop words, inflection, and how a character is encoded', () => {
    expect(hashEmbedding('Shipping prices', 384)).toEqual(hashEmbedding('the shipped PRICE', 384));
    expect(hashEmbedding('Charges were refunded', 384)).toEqual(hashEmbedding('charge refund', 384));
    // Composed "é", decomposed "e" + accent, and full-width letters read alike.
    expect(hashEmbedding('Café hours', 384)).toEqual(hashEmbedding('Cafe\u0301 hours', 384));
    expect(hashEmbedding('ＲＥＦＵＮＤ', 384)).toEqual(hashEmbedding('refund', 384));
  });

  it('tolerates a misspelling through character trigrams, and sees word order through pairs', () => {
    expect(cosine('refund request', 'refnud request')).toBeGreaterThan(cosine('refund request', 'invoice request'));
    const swapped = cosine('annual plan refund', 'refund annual plan');
    expect(swapped).toBeLessThan(1 - 1e-9);
    expect(swapped).toBeGreaterThan(0.8);
  });

  it('reads words of any script, marks included', () => {
    expect(contentWords('Öffnungszeiten: 9–17 Uhr; 営業時間')).toEqual(['öffnungszeiten', '9', '17', 'uhr', '営業時間']);
    // Devanagari vowel signs are marks: without them the word would fall apart.
    expect(contentWords('किताब')).toEqual(['किताब']);
    expect(cosine('किताब की कीमत', 'किताब')).toBeGreaterThan(cosine('किताब की कीमत', 'दुकान'));
  });
});

describe('stem', () => {
  it('gives the forms of a word one stem', () => {
    const groups = [
      ['price', 'prices', 'priced', 'pricing'],
      ['charge', 'charges', 'charged', 'charging'],
      ['ship', 'ships', 'shipped', 'shipping'],
      ['plan', 'plans', 'planned', 'planning'],
      ['policy', 'policies'],
      ['reply', 'replies', 'replied'],
      ['box', 'boxes'],
      ['class', 'classes'],
      ['process', 'processes', 'processed', 'processing'],
    ];
    for (const group of groups) expect(new Set(group.map(stem))).toEqual(new Set([stem(group[0])]));
  });

  it('leaves alone what only looks inflected', () => {
    for (const word of ['status', 'analysis', 'business', 'need', 'speed', 'bring', 'string', 'bill', 'red', 'bus']) expect(stem(word)).toBe(word);
    expect(stem('billing')).toBe('bill');
    expect(stem('passed')).toBe('pass');
  });
});

describe('feature hashing', () => {
  it('is FNV-1a, checked against its published values', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  it('mixes the hash before taking a bucket, so small sizes still tell characters apart', () => {
    // FNV-1a mod 32 sees only each character's low 5 bits: "p" (0x70) and "0" (0x30) would collide.
    expect(fnv1a('w:p') % 32).toBe(fnv1a('w:0') % 32);
    expect(mix32(fnv1a('w:p')) % 32).not.toBe(mix32(fnv1a('w:0')) % 32);
    expect(Math.abs(cosine('p', '0', 32))).toBeLessThan(0.5);
  });
});
