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
  // A generic type (application/octet-stream) or none, on text with no tell-tale: plain text if it decodes cleanly.
  if ((!type || type === 'application/octet-stream') && !extension && !input.bytes.subarray(0, 4096).includes(0)) return 'text';
  throw new UnsupportedDocument(`Cannot read ${type ?? (extension ? `.${extension}` : 'this file')}: send ${SUPPORTED}`);
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
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
      { selector: 'table', format: 'dataTable' },
    ],
  });
}

async function pdfToText(bytes: Buffer): Promise<string> {
  const { extractText: readPdf, getDocumentProxy } = await import('unpdf');
  let text: string;
  try {
    const pdf = await getDocumentProxy(new Uint8Array(bytes));
    text = (await readPdf(pdf, { mergePages: true })).text;
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
