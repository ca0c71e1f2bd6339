import { describe, expect, it } from '@jest/globals';
import { multipartDigest } from '../../lib/multipartDigest.ts';

const form = (boundary: string, parts: Array<{ name: string; filename?: string; content: string }>) =>
  Buffer.from(
    parts
      .map((p) => `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}\r\n\r\n${p.content}\r\n`)
      .join('') + `--${boundary}--\r\n`,
    'latin1',
  );

describe('multipartDigest', () => {
  const file = { name: 'file', filename: 'faq.txt', content: 'We open at nine.' };

  it('is the same for the same form framed with another boundary', () => {
    expect(multipartDigest(form('----formdata-a1', [file]), '----formdata-a1')).toBe(multipartDigest(form('----formdata-b2-longer', [file]), '----formdata-b2-longer'));
  });

  it('differs when the file, its name, a field or the order of the parts differs', () => {
    const title = { name: 'title', content: 'FAQ' };
    const base = multipartDigest(form('b', [file, title]), 'b');
    expect(multipartDigest(form('b', [{ ...file, content: 'We open at ten.' }, title]), 'b')).not.toBe(base);
    expect(multipartDigest(form('b', [{ ...file, filename: 'other.txt' }, title]), 'b')).not.toBe(base);
    expect(multipartDigest(form('b', [file, { ...title, content: 'Hours' }]), 'b')).not.toBe(base);
    expect(multipartDigest(form('b', [title, file]), 'b')).not.toBe(base);
  });

  it('hashes the whole body when there is no boundary to take out', () => {
    const body = Buffer.from('not a form');
    expect(multipartDigest(body, '')).toBe(multipartDigest(Buffer.from('not a form'), ''));
    expect(multipartDigest(body, '')).not.toBe(multipartDigest(Buffer.from('not a form!'), ''));
  });
});
