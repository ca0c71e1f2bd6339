/**
 * Explainable lead scoring (seed 004's shape). Every point comes from a named rule that
 * says why and how much; the four dimensions are each a sum of their rules clamped to
 * [0, 1], the overall score is their weighted mean, and the conversion probability leans
 * on the pipeline stage's own probability when there is one. Pure: the caller gathers
 * the inputs (entities/leadScoring.ts), so the same facts always give the same score.
 */

export type ScoreDimension = 'demographic' | 'behavioral' | 'engagement' | 'intent';

export interface ScoreInput {
  status: string;
  source: string;
  /** The deal value in its currency's major unit, if known. */
  value: number | null;
  /** The current pipeline stage's win probability, 0–100, if the lead sits on one. */
  stageProbability: number | null;
  contact: { email: string | null; phone: string | null; organization: string | null; jobTitle: string | null };
  company: { industry: string | null; size: string | null } | null;
  /** Timeline entries written by people or the product in the last 30 days, by type. */
  recentActivities: Record<string, number>;
  /** Days since the last timeline entry or inbound message; null when there is none. */
  daysSinceLastTouch: number | null;
  /** Inbound messages from the contact in the last 30 days, with what triage made of them. */
  recentMessages: { intent: string | null; category: string | null; sentiment: number | null }[];
  /** Extra factors from the LLM, when one is configured and asked (POST …/score). */
  extraFactors?: ScoreFactor[];
}

export interface ScoreFactor {
  dimension: ScoreDimension;
  /** What was seen, in a sentence a salesperson understands. */
  reason: string;
  /** Points on its dimension's 0–1 scale; negative lowers it. */
  impact: number;
  /** `rules` or the model that proposed it. */
  source?: string;
}

export interface LeadScore {
  overall_score: number;
  demographic_score: number;
  behavioral_score: number;
  engagement_score: number;
  intent_score: number;
  conversion_probability: number;
  factors: { positive_factors: string[]; negative_factors: string[]; recommendations: string[] };
  breakdown: Required<ScoreFactor>[];
}

/** How much each dimension counts toward the overall score. */
export const DIMENSION_WEIGHTS: Record<ScoreDimension, number> = { demographic: 0.2, behavioral: 0.25, engagement: 0.25, intent: 0.3 };

/** Every dimension starts here: a lead we know nothing about is neither good nor bad. */
const BASELINE = 0.3;

const FREE_MAIL = new Set(['gmail.com', 'googlemail.com', 'yahoo.com', 'hotmail.com', 'outlook.com', 'live.com', 'aol.com', 'icloud.com', 'me.com', 'proton.me', 'protonmail.com', 'gmx.com', 'mail.com', 'yandex.com']);
const SENIOR_TITLE = /\b(ceo|cto|cfo|coo|cmo|chief|founder|owner|president|vp|vice president|director|head of|partner|principal)\b/i;
const SOURCE_POINTS: Record<string, number> = { referral: 0.3, website: 0.2, web_form: 0.2, event: 0.15, email: 0.1, sms: 0.1, whatsapp: 0.1, phone: 0.15, social_media: 0.05, import: 0, manual: 0.05, cold_call: -0.1, purchased_list: -0.15 };
const BUYING_INTENT = /\b(pric(e|ing)|quote|demo|buy|purchas|trial|contract|sign|proposal|book|appointment|schedul|seats?|licen[cs]e|subscri)/i;
const STATUS_INTENT: Record<string, number> = { new: 0, contacted: 0.05, qualified: 0.2, proposal: 0.3, negotiation: 0.4, won: 0.7, lost: -1 };
const ENGAGING_ACTIVITY = /^(call|meeting|demo|email_(replied|opened|clicked)|reply|note)/;

const clamp01 = (n: number) => Math.min(1, Math.max(0, n));
const round2 = (n: number) => Math.round(n * 100) / 100;

function rules(input: ScoreInput): ScoreFactor[] {
  const out: ScoreFactor[] = [];
  const add = (dimension: ScoreDimension, impact: number, reason: string) => out.push({ dimension, impact, reason });
  const { contact, company } = input;

  // Demographic: is this someone we can reach and who can buy?
  if (contact.email) {
    const domain = contact.email.split('@')[1]?.toLowerCase() ?? '';
    if (FREE_MAIL.has(domain)) add('demographic', -0.05, `Personal email address (${domain})`);
    else add('demographic', 0.15, 'Business email address');
  } else add('demographic', -0.1, 'No email address');
  if (contact.phone) add('demographic', 0.1, 'Has a phone number');
  if (contact.organization || company) add('demographic', 0.15, 'Has company information');
  if (company?.industry) add('demographic', 0.05, `Industry known (${company.industry})`);
  if (company?.size) add('demographic', 0.05, `Company size known (${company.size})`);
  if (contact.jobTitle && SENIOR_TITLE.test(contact.jobTitle)) add('demographic', 0.2, `Senior title/decision maker (${contact.jobTitle})`);

  // Behavioral: where they came from and what the deal looks like.
  const sourcePoints = SOURCE_POINTS[input.source.toLowerCase()] ?? 0;
  if (sourcePoints > 0) add('behavioral', sourcePoints, `Came from ${input.source}`);
  if (sourcePoints < 0) add('behavioral', sourcePoints, `Low-converting source (${input.source})`);
  if (input.value !== null && input.value > 0) {
    const points = input.value >= 50_000 ? 0.3 : input.value >= 10_000 ? 0.2 : 0.1;
    add('behavioral', points, `Deal value ${input.value}`);
  }
  if (input.stageProbability !== null && input.stageProbability > 0) add('behavioral', round2(input.stageProbability / 250), `Pipeline stage at ${input.stageProbability}% probability`);

  // Engagement: how much is going on, and how recently.
  const touches = Object.entries(input.recentActivities).reduce((n, [type, count]) => n + (ENGAGING_ACTIVITY.test(type) ? count : 0), 0) + input.recentMessages.length;
  if (touches > 0) add('engagement', Math.min(0.5, touches * 0.1), `${touches} interaction${touches === 1 ? '' : 's'} in the last 30 days`);
  if (input.daysSinceLastTouch === null) add('engagement', -0.1, 'No interaction yet');
  else if (input.daysSinceLastTouch <= 3) add('engagement', 0.2, 'Active in the last 3 days');
  else if (input.daysSinceLastTouch > 30) add('engagement', -0.2, `No interaction for ${Math.floor(input.daysSinceLastTouch)} days`);
  const sentiments = input.recentMessages.map((m) => m.sentiment).filter((s): s is number => s !== null);
  if (sentiments.length) {
    const mean = sentiments.reduce((a, b) => a + b, 0) / sentiments.length;
    if (mean >= 0.3) add('engagement', 0.1, 'Positive tone in messages');
    if (mean <= -0.3) add('engagement', -0.15, 'Negative tone in messages');
  }

  // Intent: what they asked for and how far the deal has come.
  const asked = input.recentMessages.find((m) => (m.intent && BUYING_INTENT.test(m.intent)) || m.category === 'sales_inquiry' || m.category === 'appointment');
  if (asked) add('intent', 0.3, asked.intent ? `Asked about ${asked.intent}` : 'Sent a sales inquiry');
  const demo = Object.keys(input.recentActivities).find((t) => /demo|meeting_booked|proposal_sent|quote/.test(t));
  if (demo) add('intent', 0.2, demo.includes('demo') ? 'Requested product demo' : `Recent ${demo.replace(/_/g, ' ')}`);
  const statusPoints = STATUS_INTENT[input.status] ?? 0;
  if (statusPoints > 0) add('intent', statusPoints, `Status is ${input.status}`);
  if (statusPoints < 0) add('intent', statusPoints, 'Lead was lost');
  return out;
}

function recommendations(score: Omit<LeadScore, 'factors' | 'breakdown'>, input: ScoreInput): string[] {
  const out: string[] = [];
  if (input.status === 'won' || input.status === 'lost') return out;
  if (score.overall_score >= 0.7) out.push('High priority - Schedule immediate call');
  else if (score.overall_score >= 0.45) out.push('Follow up within 48 hours');
  else out.push('Nurture with periodic updates');
  if (!input.contact.phone) out.push('Find a phone number');
  if (!input.contact.email) out.push('Find an email address');
  if (input.daysSinceLastTouch !== null && input.daysSinceLastTouch > 14) out.push('Re-engage: no contact for over two weeks');
  return out;
}

export function scoreLead(input: ScoreInput): LeadScore {
  const breakdown = [...rules(input), ...(input.extraFactors ?? [])].map((f) => ({ ...f, impact: round2(f.impact), source: f.source ?? 'rules' }));
  const dim = (d: ScoreDimension) => round2(clamp01(BASELINE + breakdown.filter((f) => f.dimension === d).reduce((n, f) => n + f.impact, 0)));
  const dims = { demographic: dim('demographic'), behavioral: dim('behavioral'), engagement: dim('engagement'), intent: dim('intent') };
  let overall = (Object.keys(dims) as ScoreDimension[]).reduce((n, d) => n + dims[d] * DIMENSION_WEIGHTS[d], 0);
  if (input.status === 'lost') overall = 0;
  if (input.status === 'won') overall = 1;
  // The stage's own probability is the best prior a pipeline gives; blend it with the score.
  const probability = input.status === 'won' ? 1 : input.status === 'lost' ? 0 : input.stageProbability !== null ? 0.5 * overall + 0.5 * (input.stageProbability / 100) : overall * 0.9;
  const score = {
    overall_score: round2(overall),
    demographic_score: dims.demographic,
    behavioral_score: dims.behavioral,
    engagement_score: dims.engagement,
    intent_score: dims.intent,
    conversion_probability: round2(clamp01(probability)),
  };
  return {
    ...score,
    factors: {
      positive_factors: breakdown.filter((f) => f.impact > 0).map((f) => f.reason),
      negative_factors: breakdown.filter((f) => f.impact < 0).map((f) => f.reason),
      recommendations: recommendations(score, input),
    },
    breakdown,
  };
}

/** The 0–100 integer a lead's `score` (and `min_score`) uses. */
export const scorePoints = (s: Pick<LeadScore, 'overall_score'>) => Math.round(s.overall_score * 100);
