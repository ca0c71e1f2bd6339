import { describe, expect, it } from '@jest/globals';
import { detectFormat, extractText, UnsupportedDocument } from '../../lib/knowledge/extractText.ts';

/** A one-page PDF with one line of Helvetica text, its cross-reference table computed from the byte offsets. */
function pdfWith(text: string): Buffer {
  const stream = `BT /F1 12 Tf 72 712 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

describe('extractText', () => {
  it('reads HTML as text: scripts, styles, navigation and image tags gone, headings and paragraphs kept', async () => {
    const html =
      '<!doctype html><html><head><style>p{color:red}</style><script>alert(1)</script></head><body><nav>Home | About</nav><h1>Our channels</h1><p>We answer on <a href="https://t.me/x">Telegram</a>, Signal and web widgets.</p><img src="x.png" alt="logo"><h4>Weekends</h4><p>Closed.</p></body></html>';
    const { text, format } = await extractText({ bytes: Buffer.from(html), contentType: 'text/html; charset=utf-8' });
    expect(format).toBe('html');
    expect(text).toBe('Our channels\n\nWe answer on Telegram, Signal and web widgets.\n\nWeekends\n\nClosed.');
  });

  it('passes Markdown and text through, without a BOM, trailing spaces or runs of blank lines', async () => {
    const md = await extractText({ bytes: Buffer.from('\uFEFF# Prices  \n\n\n\nFrom $10 a month.\n'), filename: 'prices.md' });
    expect(md).toEqual({ text: '# Prices\n\nFrom $10 a month.', format: 'markdown' });
    expect(await extractText({ bytes: Buffer.from('Plain.'), contentType: 'text/plain' })).toEqual({ text: 'Plain.', format: 'text' });
  });

  it('reads the text of a PDF', async () => {
    const { text, format } = await extractText({ bytes: pdfWith('Opening hours are 9 to 5'), filename: 'hours.pdf' });
    expect(format).toBe('pdf');
    expect(text).toContain('Opening hours are 9 to 5');
  });

  it('says a PDF without text needs OCR, and a broken one cannot be read', async () => {
    await expect(extractText({ bytes: pdfWith(''), contentType: 'application/pdf' })).rejects.toThrow(/no text layer/);
    await expect(extractText({ bytes: Buffer.from('%PDF-1.4 garbage'), contentType: 'application/pdf' })).rejects.toBeInstanceOf(UnsupportedDocument);
  });

  it('tells formats by type, then name, then content, and refuses the rest by name', () => {
    expect(detectFormat({ bytes: Buffer.from('x'), contentType: 'application/pdf', filename: 'a.txt' })).toBe('pdf');
    expect(detectFormat({ bytes: Buffer.from('x'), contentType: 'application/octet-stream', filename: 'a.htm' })).toBe('html');
    expect(detectFormat({ bytes: Buffer.from('%PDF-1.7 ...') })).toBe('pdf');
    expect(detectFormat({ bytes: Buffer.from('  <!DOCTYPE html><p>x') })).toBe('html');
    expect(detectFormat({ bytes: Buffer.from('just words') })).toBe('text');
    expect(() => detectFormat({ bytes: Buffer.from('PNG'), contentType: 'image/png' })).toThrow('Cannot read image/png: send plain text (.txt), Markdown (.md), HTML (.html) or PDF (.pdf)');
    expect(() => detectFormat({ bytes: Buffer.from('PK'), filename: 'notes.docx' })).toThrow(UnsupportedDocument);
  });

  it('names the extension when the type says nothing, and refuses unlabelled bytes that are not UTF-8', async () => {
    await expect(extractText({ bytes: Buffer.from('PK'), contentType: 'application/octet-stream', filename: 'notes.docx' })).rejects.toThrow('Cannot read .docx: send');
    expect(detectFormat({ bytes: Buffer.from('Grüße, 日本') })).toBe('text');
    expect(() => detectFormat({ bytes: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x4a, 0x46]) })).toThrow(UnsupportedDocument);
    // A character cut at the 4 KB edge is still text.
    expect(detectFormat({ bytes: Buffer.concat([Buffer.from('a'.repeat(4095)), Buffer.from('é')]) })).toBe('text');
  });
});
