import { describe, expect, it } from '@jest/globals';
import { isSameSentBody } from '../../lib/twilioBody.ts';

describe('isSameSentBody', () => {
  it('matches the body as sent', () => {
    expect(isSameSentBody('See you at 3pm', 'See you at 3pm')).toBe(true);
  });

  it('matches a body Smart Encoding made plain, and one a trial account prefixed', () => {
    expect(isSameSentBody(`Don't forget - it's "tomorrow"... at 3\u00A0pm`, 'Don\u2019t forget \u2013 it\u2019s \u201Ctomorrow\u201D\u2026 at 3\u202Fpm')).toBe(true);
    expect(isSameSentBody('Sent from your Twilio trial account - See you at 3pm', 'See you at 3pm')).toBe(true);
  });

  it('tells another text apart', () => {
    expect(isSameSentBody('See you at 4pm', 'See you at 3pm')).toBe(false);
    expect(isSameSentBody('See you at 3pm!', 'See you at 3pm')).toBe(false);
    expect(isSameSentBody('Sent from your Twilio trial account - ', 'See you at 3pm')).toBe(false);
  });
});
