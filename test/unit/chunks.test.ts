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
