import { createHash } from 'node:crypto';
import { fnv1a } from './hashEmbedding.ts';

export interface Chunk {
  /** 0-based order in the document. */
  position: number;
  content: string;
  /** sha256 of `content`: an unchanged passage keeps its vector when the document is indexed again. */
  contentHash: string;
}

export interface ChunkOptions {
  /** A passage ends once it reaches this size… */
  targetChars?: number;
  /** …and never passes this one (a paragraph longer than this is split at sentence ends, then at spaces). */
  maxChars?: number;
  /** Below this a passage does not end at a content-chosen boundary. */
  minChars?: number;
}

/** One paragraph in this many ends a passage, chosen by its own text (see below). */
const BOUNDARY_EVERY = 3;

/** `text` in pieces of at most `max` characters, cut at spaces (inside a word only when one word is longer). */
function splitAtSpaces(text: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const space = rest.lastIndexOf(' ', max);
    const cut = space > 0 ? space : max;
    pieces.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest) pieces.push(rest);
  return pieces;
}

/** A paragraph longer than `maxChars` as sentence runs of about `targetChars`. */
function splitParagraph(paragraph: string, targetChars: number, maxChars: number): string[] {
  const sentences = paragraph.split(/(?<=[.!?])\s+/).flatMap((s) => (s.length > maxChars ? splitAtSpaces(s, maxChars) : [s]));
  const pieces: string[] = [];
  let current = '';
  for (const sentence of sentences) {
    if (current && current.length + 1 + sentence.length > targetChars) {
      pieces.push(current);
      current = sentence;
    } else {
      current = current ? `${current} ${sentence}` : sentence;
    }
  }
  if (current) pieces.push(current);
  return pieces;
}

/**
 * A document's text as passages of about `targetChars`, built from whole paragraphs.
 * Where a passage ends is decided mostly by the paragraph's own text (a hash of it), not
 * by how far it is from the start: an edit in the middle of a long document changes the
 * passage it falls in (and at most the next few, until a content-chosen end), while the
 * passages before and after keep their text, their hash, and so their vectors.
 */
export function splitIntoChunks(text: string, options: ChunkOptions = {}): Chunk[] {
  const { targetChars = 800, maxChars = 1200, minChars = 200 } = options;
  const normal = text.replace(/\r\n?/g, '\n').replace(/[ \t]+\n/g, '\n').trim();
  if (!normal) return [];
  const pieces = normal
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean)
    .flatMap((p) => (p.length > maxChars ? splitParagraph(p, targetChars, maxChars) : [p]));

  const passages: string[] = [];
  let current: string[] = [];
  let size = 0;
  const end = () => {
    if (current.length) passages.push(current.join('\n\n'));
    current = [];
    size = 0;
  };
  for (const piece of pieces) {
    if (current.length && size + 2 + piece.length > maxChars) end();
    size += (current.length ? 2 : 0) + piece.length;
    current.push(piece);
    if (size >= minChars && (size >= targetChars || fnv1a(piece) % BOUNDARY_EVERY === 0)) end();
  }
  end();
  return passages.map((content, position) => ({ position, content, contentHash: createHash('sha256').update(content).digest('hex') }));
}
