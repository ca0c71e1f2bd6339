import { describe, expect, it } from '@jest/globals';
import { smsConsentChange } from '../../lib/smsKeywords.ts';

describe('smsConsentChange', () => {
  it('reads the opt-out words, in any case, with trailing punctuation and spaces', () => {
    for (const body of ['STOP', 'stop', ' Stop. ', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT', 'quit!']) {
      expect({ body, change: smsConsentChange(body) }).toEqual({ body, change: 'opt_out' });
    }
  });

  it('opts in on START and UNSTOP only', () => {
    expect(smsConsentChange('start')).toBe('opt_in');
    expect(smsConsentChange('UNSTOP')).toBe('opt_in');
  });

  it('leaves a confirmation or a sentence with a control word in it to triage', () => {
    for (const body of ['Yes', 'YES!', 'subscribe', 'Please stop calling me at work', 'stop by tomorrow?', 'cancel my 3pm appointment']) {
      expect({ body, change: smsConsentChange(body) }).toEqual({ body, change: null });
    }
  });
});
