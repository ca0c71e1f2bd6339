import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { splitIntoChunks } from '../../lib/knowledge/chunks.ts';

const paragraph = (i: number) => `Paragraph ${i} explains topic number ${i} of the handbook: ${'opening hours, prices and channels. '.repeat(3 + (i % 5))}`.trim();
const document = (count: number, edit?: (i: number, p: string) => string) =>
  Array.from({ length: count }, (_, i) => (edit ? edit(i, paragraph(i)) : paragraph(i))).join('\n\n');
const hashes = (text: string) => splitIntoChunks(text).map((c) => c.contentHash);

describe('splitIntoChunks', () => {
  it('answers nothing for blank text, one passage for a short one', () => {
    expect(splitIntoChunks('  \n\n ')).toEqual([]);
    const [only] = splitIntoChunks('Hello there.\r\nSecond line.');
    expect(only).toEqual({ position: 0, content: 'Hello there.\nSecond line.', contentHash: createHash('sha256').update('Hello there.\nSecond line.').digest('hex') });
  });

  it('keeps every paragraph whole and in order, within the size bounds', () => {
    const text = document(30);
    const chunks = splitIntoChunks(text);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.map((c) => c.position)).toEqual(chunks.map((_, i) => i));
    expect(chunks.map((c) => c.content).join('\n\n')).toBe(text);
    for (const c of chunks) expect(c.content.length).toBeLessThanOrEqual(1200);
    for (const c of chunks.slice(0, -1)) expect(c.content.length).toBeGreaterThanOrEqual(200);
  });

  it('changes only the passages around an edit in the middle', () => {
    const before = hashes(document(30));
    const after = hashes(document(30, (i, p) => (i === 15 ? p.replace('explains', 'now describes') : p)));
    const kept = after.filter((h) => before.includes(h)).length;
    expect(after.length - kept).toBeLessThanOrEqual(2);
    expect(before[0]).toBe(after[0]);
    expect(before.at(-1)).toBe(after.at(-1));
  });

  it('keeps the later passages when a paragraph is inserted early', () => {
    const before = hashes(document(30));
    const after = hashes(document(30, (i, p) => (i === 3 ? `A new paragraph about parking.\n\n${p}` : p)));
    const tail = before.slice(-4);
    for (const h of tail) expect(after).toContain(h);
  });

  it('splits a paragraph longer than the maximum at sentence ends, and a sentence at spaces', () => {
    const long = Array.from({ length: 40 }, (_, i) => `Sentence ${i} is here.`).join(' ');
    const chunks = splitIntoChunks(long, { targetChars: 100, maxChars: 150, minChars: 20 });
    for (const c of chunks) {
      expect(c.content.length).toBeLessThanOrEqual(150);
      expect(c.content).toMatch(/\.$/);
    }
    const words = splitIntoChunks('word '.repeat(100).trim(), { targetChars: 50, maxChars: 60, minChars: 10 });
    for (const c of words) expect(c.content).toMatch(/^word( word)*$/);
    expect(splitIntoChunks('x'.repeat(130), { maxChars: 60, targetChars: 50, minChars: 10 }).map((c) => c.content.length)).toEqual([60, 60, 10]);
  });
});

/** A seeded generator (mulberry32), so the documents below are the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const VOCABULARY = 'refund policy order invoice shipping hours office payment plan annual monthly support channel customer account delivery parcel price'.split(' ');

/** Paragraphs of `minLength` to `maxLength` characters, made of sentences of random words. */
function paragraphs(next: () => number, count: number, minLength: number, maxLength: number): string[] {
  const sentence = () => `${Array.from({ length: 5 + Math.floor(next() * 12) }, () => VOCABULARY[Math.floor(next() * VOCABULARY.length)]).join(' ')}.`;
  return Array.from({ length: count }, () => {
    const length = minLength + next() * (maxLength - minLength);
    let text = sentence();
    while (text.length < length) text += ` ${sentence()}`;
    return text;
  });
}

describe('splitIntoChunks, over many documents', () => {
  const changedBy = (before: string[], after: string[]) => {
    const old = new Set(hashes(before.join('\n\n')));
    return hashes(after.join('\n\n')).filter((h) => !old.has(h)).length;
  };

  it('re-cuts only around an edit, an insertion or a deletion, where packing to size would re-cut everything after it', () => {
    const next = random(18);
    const changed = { edit: [] as number[], insert: [] as number[], delete: [] as number[] };
    for (let doc = 0; doc < 60; doc += 1) {
      const ps = paragraphs(next, 30, 40, 600);
      const at = 10 + Math.floor(next() * 10);
      changed.edit.push(changedBy(ps, ps.map((p, i) => (i === at ? `Updated: ${p}` : p))));
      changed.insert.push(changedBy(ps, [...ps.slice(0, at), ...paragraphs(next, 1, 40, 600), ...ps.slice(at)]));
      changed.delete.push(changedBy(ps, [...ps.slice(0, at), ...ps.slice(at + 1)]));
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    for (const counts of Object.values(changed)) {
      expect(Math.max(...counts)).toBeLessThanOrEqual(3);
      expect(mean(counts)).toBeLessThan(1.5);
    }
  });

  it('averages passages near the target whether paragraphs are short or long', () => {
    for (const [minLength, maxLength] of [
      [30, 120],
      [100, 400],
      [400, 1000],
    ]) {
      const chunks = splitIntoChunks(paragraphs(random(minLength), 200, minLength, maxLength).join('\n\n'));
      const sizes = chunks.slice(0, -1).map((c) => c.content.length);
      const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
      expect(mean).toBeGreaterThan(600);
      expect(mean).toBeLessThan(900);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(1200);
    }
  });

  it('cuts a long paragraph between sentences, as written, and locally', () => {
    const sentences = paragraphs(random(5), 60, 60, 120);
    // Some sentences end a line (chosen by their text, so an insertion moves none): the
    // passages must keep that line break, not turn it into a space.
    const paragraph = (list: string[]) => list.map((s) => (s.length % 5 === 0 ? `${s}\n` : `${s} `)).join('').trim();
    const text = paragraph(sentences);
    const before = splitIntoChunks(text);
    expect(before.length).toBeGreaterThan(4);
    expect(before.some((c) => c.content.includes('.\n'))).toBe(true);
    for (const c of before) {
      expect(c.content.length).toBeLessThanOrEqual(1200);
      expect(text).toContain(c.content);
      expect(c.content).toMatch(/\.$/);
    }
    const after = hashes(paragraph([...sentences.slice(0, 30), 'A sentence added in the middle.', ...sentences.slice(30)]));
    expect(after.filter((h) => !before.some((c) => c.contentHash === h)).length).toBeLessThanOrEqual(3);
    expect(after[0]).toBe(before[0].contentHash);
    expect(after.at(-1)).toBe(before.at(-1)?.contentHash);
  });

  it('keeps a heading, or a line ending in a colon, with the text after it', () => {
    const next = random(7);
    const sections = Array.from({ length: 40 }, (_, i) => [i % 2 ? `## Section ${i}` : `Section ${i} covers:`, ...paragraphs(next, 1 + (i % 3), 60, 300)].join('\n\n'));
    const chunks = splitIntoChunks(sections.join('\n\n'));
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) {
      const last = c.content.split('\n\n').at(-1) ?? '';
      expect(last).not.toMatch(/^## |:$/);
    }
  });
});
