/**
 * A knowledge-base source as plain text: HTML through `html-to-text` (a maintained
 * converter that drops scripts, styles and navigation and keeps headings and lists
 * readable), PDF through `unpdf` (PDF.js packaged for servers, no native code), text
 * and Markdown as they are.
 */
import { convert } from 'html-to-text';

export type SourceFormat = 'text' | 'markdown' | 'html' | 'pdf';

export class UnsupportedDocument extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedDocument';
  }
}

const SUPPORTED = 'plain text (.txt), Markdown (.md), HTML (.html) or PDF (.pdf)';

const BY_TYPE: Record<string, SourceFormat> = {
  'text/plain': 'text',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'application/pdf': 'pdf',
};

const BY_EXTENSION: Record<string, SourceFormat> = { txt: 'text', text: 'text', md: 'markdown', markdown: 'markdown', html: 'html', htm: 'html', pdf: 'pdf' };

/** The format from the content type, then the file name, then the bytes themselves. */
export function detectFormat(input: { bytes: Buffer; contentType?: string | null; filename?: string | null }): SourceFormat {
  const type = input.contentType?.split(';')[0].trim().toLowerCase();
  if (type && BY_TYPE[type]) return BY_TYPE[type];
  const extension = /\.([a-z0-9]+)$/i.exec(input.filename ?? '')?.[1]?.toLowerCase();
  if (extension && BY_EXTENSION[extension]) return BY_EXTENSION[extension];
  const head = input.bytes.subarray(0, 512).toString('latin1').trimStart().toLowerCase();
  if (head.startsWith('%pdf-')) return 'pdf';
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'html';
  const generic = !type || type === 'application/octet-stream';
  // An unlabelled upload with no tell-tale: plain text only if it is UTF-8, so a stray binary is refused, not indexed as noise.
  if (generic && !extension && looksLikeText(input.bytes)) return 'text';
  // Name what the sender will recognise: the type, unless it says nothing (curl labels every upload octet-stream).
  const what = !generic ? type : extension ? `.${extension}` : (type ?? 'this file');
  throw new UnsupportedDocument(`Cannot read ${what}: send ${SUPPORTED}`);
}

/** The first 4 KB decode as UTF-8 without NULs; `stream` forgives a character cut at the 4 KB edge. */
function looksLikeText(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 4096);
  if (head.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

const decode = (bytes: Buffer) => new TextDecoder('utf-8').decode(bytes).replace(/^\uFEFF/, '');

/** Trailing spaces off every line, runs of blank lines down to one. */
const tidy = (text: string) =>
  text
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();

function htmlToText(html: string): string {
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'nav', format: 'skip' },
      { selector: 'script', format: 'skip' },
      { selector: 'style', format: 'skip' },
      { selector: 'a', options: { ignoreHref: true } },
      // The library shouts headings and table headers by default; passages should read as the page does.
      ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
      { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    ],
  });
}

async function pdfToText(bytes: Buffer): Promise<string> {
  const { extractText: readPdf, getDocumentProxy } = await import('unpdf');
  let text: string;
  try {
    // Our own proxy only to quiet PDF.js (verbosity 0: errors only; a malformed upload would print warnings
    // around the logger). unpdf destroys only the documents it opened, so this one is destroyed here.
    const pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
    try {
      text = (await readPdf(pdf, { mergePages: true })).text;
    } finally {
      await pdf.destroy();
    }
  } catch (err) {
    throw new UnsupportedDocument(`Cannot read this PDF: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!text.trim()) throw new UnsupportedDocument('This PDF has no text layer (a scanned PDF needs OCR first)');
  return text;
}

/** The source's text and how it was read. Throws UnsupportedDocument for what cannot be read. */
export async function extractText(input: { bytes: Buffer; contentType?: string | null; filename?: string | null }): Promise<{ text: string; format: SourceFormat }> {
  const format = detectFormat(input);
  if (format === 'pdf') return { text: tidy(await pdfToText(input.bytes)), format };
  const decoded = decode(input.bytes);
  return { text: tidy(format === 'html' ? htmlToText(decoded) : decoded), format };
}
