import { describe, expect, it } from '@jest/globals';
import { isLaterStatus, isTransientUndelivery, sendStepTimeoutMs } from '../../lib/smsDelivery.ts';

describe('Twilio delivery verdicts', () => {
  it('sends again only after a transient undelivery (unreachable handset, queue overflow)', () => {
    expect(isTransientUndelivery({ sid: 'SM1', status: 'undelivered', errorCode: '30003' })).toBe(true);
    expect(isTransientUndelivery({ sid: 'SM1', status: 'undelivered', errorCode: '30005' })).toBe(false);
    expect(isTransientUndelivery({ sid: 'SM1', status: 'failed', errorCode: '21610' })).toBe(false);
    expect(isTransientUndelivery({ sid: 'SM1', status: 'delivered', errorCode: '30003' })).toBe(false);
    expect(isTransientUndelivery({ sid: 'SM1', status: 'undelivered', errorCode: null })).toBe(false);
  });

  it('never moves a message backwards', () => {
    expect(isLaterStatus('sending', 'sent')).toBe(true);
    expect(isLaterStatus('delivered', 'sent')).toBe(false);
    expect(isLaterStatus('undelivered', 'failed')).toBe(false);
    expect(isLaterStatus('sent', 'delivered')).toBe(true);
  });
});

describe('the send step timeout', () => {
  it('outlasts a retried attempt: the lookup of what was sent and the send, each as long as the provider may take', () => {
    for (const providerMs of [2_000, 15_000, 60_000]) {
      expect(sendStepTimeoutMs(providerMs)).toBeGreaterThan(2 * providerMs);
    }
  });
});
