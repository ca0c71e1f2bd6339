import { describe, expect, it } from '@jest/globals';
import { quotedPassageReply } from '../../lib/knowledge/quotedReply.ts';

describe('quotedPassageReply', () => {
  it('quotes every line of the passage under the title it comes from', () => {
    expect(quotedPassageReply({ title: 'Opening hours', content: 'Mon-Fri 9-5.\n\nClosed on holidays.' })).toBe('Thanks for your message. From "Opening hours":\n\n> Mon-Fri 9-5.\n>\n> Closed on holidays.');
  });

  it('cuts a long passage at a sentence end, never mid-word', () => {
    const content = `${'We ship worldwide. '.repeat(60)}`;
    const reply = quotedPassageReply({ title: 'Shipping', content }, 200);
    const body = reply.split('\n\n')[1];
    expect(body.length).toBeLessThanOrEqual(202);
    expect(body.endsWith('worldwide.')).toBe(true);
  });

  it('cuts at a word boundary with an ellipsis when no sentence ends early enough', () => {
    const reply = quotedPassageReply({ title: 'Words', content: 'alpha beta gamma delta epsilon zeta eta theta' }, 20);
    expect(reply.endsWith('> alpha beta gamma…')).toBe(true);
  });
});
