import { describe, expect, it } from '@jest/globals';
import { scoreLead, scorePoints, type ScoreInput } from '../../lib/leadScore.ts';

const bare: ScoreInput = {
  status: 'new',
  source: 'manual',
  value: null,
  stageProbability: null,
  contact: { email: null, phone: null, organization: null, jobTitle: null },
  company: null,
  recentActivities: {},
  daysSinceLastTouch: null,
  recentMessages: [],
};

const hot: ScoreInput = {
  status: 'qualified',
  source: 'referral',
  value: 60_000,
  stageProbability: 40,
  contact: { email: 'jane@acme.com', phone: '+15551234567', organization: 'Acme', jobTitle: 'VP of Sales' },
  company: { industry: 'technology', size: '51-200' },
  recentActivities: { demo_requested: 1, call: 2 },
  daysSinceLastTouch: 1,
  recentMessages: [{ intent: 'pricing for 20 seats', category: 'sales_inquiry', sentiment: 0.6 }],
};

describe('scoreLead', () => {
  it('scores a lead we know nothing about low, and says why', () => {
    const s = scoreLead(bare);
    expect(s.demographic_score).toBe(0.2); // baseline 0.3, no email -0.1
    expect(s.behavioral_score).toBe(0.35); // manual source +0.05
    expect(s.engagement_score).toBe(0.2); // no interaction -0.1
    expect(s.intent_score).toBe(0.3);
    // 0.2·0.2 + 0.35·0.25 + 0.2·0.25 + 0.3·0.3 = 0.2675
    expect(s.overall_score).toBe(0.27);
    expect(s.conversion_probability).toBe(0.24);
    expect(s.factors.negative_factors).toEqual(['No email address', 'No interaction yet']);
    expect(s.factors.recommendations).toEqual(['Nurture with periodic updates', 'Find a phone number', 'Find an email address']);
    expect(scorePoints(s)).toBe(27);
  });

  it('scores an engaged decision maker high, with every factor and its weight', () => {
    const s = scoreLead(hot);
    expect(s.factors.positive_factors).toEqual(
      expect.arrayContaining(['Business email address', 'Has company information', 'Senior title/decision maker (VP of Sales)', 'Came from referral', 'Requested product demo', 'Asked about pricing for 20 seats', 'Status is qualified']),
    );
    expect(s.factors.negative_factors).toEqual([]);
    expect(s.demographic_score).toBe(1);
    expect(s.intent_score).toBe(1);
    expect(s.overall_score).toBeGreaterThanOrEqual(0.9);
    // Blended with the stage's 40 %.
    expect(s.conversion_probability).toBe(Math.round((0.5 * s.overall_score + 0.2) * 100) / 100);
    expect(s.factors.recommendations[0]).toBe('High priority - Schedule immediate call');
    const title = s.breakdown.find((f) => f.reason.startsWith('Senior title'));
    expect(title).toEqual({ dimension: 'demographic', impact: 0.2, reason: 'Senior title/decision maker (VP of Sales)', source: 'rules' });
  });

  it('pins lost and won leads, and recommends nothing for them', () => {
    expect(scoreLead({ ...hot, status: 'lost' })).toMatchObject({ overall_score: 0, conversion_probability: 0, factors: { recommendations: [] } });
    expect(scoreLead({ ...bare, status: 'won' })).toMatchObject({ overall_score: 1, conversion_probability: 1 });
  });

  it('marks personal mail, stale leads, negative tone and cold sources as negative', () => {
    const s = scoreLead({ ...bare, source: 'cold_call', contact: { ...bare.contact, email: 'x@gmail.com' }, daysSinceLastTouch: 45, recentMessages: [{ intent: null, category: 'complaint', sentiment: -0.8 }] });
    expect(s.factors.negative_factors).toEqual(['Personal email address (gmail.com)', 'Low-converting source (cold_call)', 'No interaction for 45 days', 'Negative tone in messages']);
    expect(s.factors.recommendations).toContain('Re-engage: no contact for over two weeks');
  });

  it('adds the model\'s factors with their source, clamped like any other', () => {
    const s = scoreLead({ ...bare, extraFactors: [{ dimension: 'intent', impact: 0.9, reason: 'Budget approved', source: 'gpt-4o-mini' }] });
    expect(s.intent_score).toBe(1);
    expect(s.breakdown).toContainEqual({ dimension: 'intent', impact: 0.9, reason: 'Budget approved', source: 'gpt-4o-mini' });
    expect(s.factors.positive_factors).toContain('Budget approved');
  });
});
