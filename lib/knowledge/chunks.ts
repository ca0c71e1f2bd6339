import { createHash } from 'node:crypto';
import { fnv1a, mix32 } from './hashEmbedding.ts';

export interface Chunk {
  /** 0-based order in the document. */
  position: number;
  content: string;
  /** sha256 of `content`: an unchanged passage keeps its vector when the document is indexed again. */
  contentHash: string;
}

export interface ChunkOptions {
  /** The size passages average, give or take. */
  targetChars?: number;
  /** Never passed: a paragraph longer than this is split at sentence ends, then at line breaks, then at spaces. */
  maxChars?: number;
  /** Below this a passage does not end at a content-chosen boundary. */
  minChars?: number;
}

/** A piece a passage is built from: a paragraph, or part of one too long to keep whole. */
interface Unit {
  text: string;
  /** What joins it to the unit before it, as in the document. */
  separator: string;
  /** What decides whether a passage may end after it. */
  key: string;
}

const PARAGRAPH = '\n\n';

/** Coarsest first: a piece still too long after one is split by the next. */
const SPLITTERS = [/(?<=[.!?…]["'”’)\]]*)\s+/g, /\s*\n\s*/g, /\s+/g];

/** `text` in pieces of at most `max` characters, at the finest level it takes. */
function segment(text: string, separator: string, max: number, level = 0): Unit[] {
  if (text.length <= max) return [{ text, separator, key: text }];
  if (level === SPLITTERS.length) return hardCut(text, separator, max);
  const parts: Array<{ text: string; separator: string }> = [];
  let from = 0;
  let before = separator;
  for (const match of text.matchAll(SPLITTERS[level])) {
    if (match.index > from) parts.push({ text: text.slice(from, match.index), separator: before });
    before = match[0];
    from = match.index + match[0].length;
  }
  parts.push({ text: text.slice(from), separator: before });
  const units = parts.flatMap((part) => segment(part.text, part.separator, max, level + 1));
  // A sentence or a word repeats far more often than a paragraph: on its own it would make
  // every "the" a boundary or none; with the one before, boundaries stay local and varied.
  for (let i = 1; i < units.length; i += 1) units[i].key = `${units[i - 1].text}${units[i].separator}${units[i].text}`;
  return units;
}

/** A single word longer than `max`: the only place a cut falls inside a word. */
function hardCut(text: string, separator: string, max: number): Unit[] {
  const units: Unit[] = [];
  let from = 0;
  while (from < text.length) {
    let to = Math.min(text.length, from + max);
    // Not between the two halves of a character outside the BMP.
    if (to < text.length && to - from > 1 && /[\uDC00-\uDFFF]/.test(text[to])) to -= 1;
    const piece = text.slice(from, to);
    units.push({ text: piece, separator: from === 0 ? separator : '', key: piece });
    from = to;
  }
  return units;
}

/**
 * Fallback boundaries are this many times denser than real ones: when the size cap forces
 * an end, it falls at the last fallback, a place chosen by the text as well.
 */
const FALLBACK_DENSITY = 2;

/** A heading, or a line announcing a list, belongs with what follows it. */
const leadsIn = (unit: Unit) => /^#{1,6}\s/.test(unit.text) || unit.text.endsWith(':');

/**
 * How strongly `unit` marks a boundary, from its text alone: a uniform hash in [0, 1)
 * against a chance that grows with its length, so boundaries come about once per
 * `spread` characters whatever the paragraphs' sizes. 2: a boundary; 1: a fallback for
 * when the size cap forces an end; 0: neither.
 */
function boundaryStrength(unit: Unit, spread: number): number {
  if (leadsIn(unit)) return 0;
  const draw = mix32(fnv1a(unit.key)) / 2 ** 32;
  if (draw < 1 - Math.exp(-unit.text.length / spread)) return 2;
  return draw < 1 - Math.exp((-FALLBACK_DENSITY * unit.text.length) / spread) ? 1 : 0;
}

/**
 * A document's text as passages of about `targetChars`, built from whole paragraphs.
 * Where a passage ends is decided by the text just before the boundary (content-defined
 * chunking, as rsync does with bytes), not by the distance from the start: an edit
 * changes the passage it falls in, and perhaps its neighbour if it moved a boundary,
 * while the passages before and after keep their text, their hash, and so their vectors.
 * Packing greedily to a size would instead shift every later boundary.
 *
 * The size rules are what keep it from being purely local: a boundary is not taken
 * before `minChars`, and one is forced before `maxChars`. After an edit they can move a
 * boundary or two more, until both versions end a passage at the same paragraph again.
 */
export function splitIntoChunks(text: string, options: ChunkOptions = {}): Chunk[] {
  const maxChars = Math.max(1, Math.floor(options.maxChars ?? 1200));
  const targetChars = Math.min(maxChars, options.targetChars ?? 800);
  const minChars = Math.min(targetChars, options.minChars ?? 200);
  // Past minChars a boundary comes after spread characters on average: the mean lands near the target.
  const spread = Math.max(1, targetChars - minChars);

  const normal = text.replace(/\r\n?/g, '\n').replace(/[ \t]+\n/g, '\n').trim();
  if (!normal) return [];
  const units = normal
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean)
    .flatMap((p) => segment(p, PARAGRAPH, maxChars));

  const strength = units.map((unit) => boundaryStrength(unit, spread));
  const passages: string[] = [];
  for (let start = 0; start < units.length; ) {
    let size = 0;
    let last = units.length - 1;
    let fallback = -1;
    for (let i = start; i < units.length; i += 1) {
      const grown = size + (i > start ? units[i].separator.length : 0) + units[i].text.length;
      if (i > start && grown > maxChars) {
        // Forced to end: at the last fallback if there was one, so that this end too
        // depends on the text more than on where the passage began.
        last = fallback >= 0 ? fallback : i - 1;
        break;
      }
      size = grown;
      if (size < minChars) continue;
      if (strength[i] === 2) {
        last = i;
        break;
      }
      if (strength[i] === 1) fallback = i;
    }
    passages.push(units.slice(start, last + 1).reduce((passage, unit, i) => (i === 0 ? unit.text : passage + unit.separator + unit.text), ''));
    start = last + 1;
  }
  return passages.map((content, position) => ({ position, content, contentHash: createHash('sha256').update(content).digest('hex') }));
}
