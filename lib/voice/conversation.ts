import { scoreSentiment } from '../triageRules/sentiment.ts';

/**
 * The local conversation engine of an outbound call (pure): what the caller's words say
 * (sentiment, intent, objections, interest signals), where the conversation moves
 * (greeting → discovery → qualification → closing), the agent's next line, and the
 * summary and analytics of a finished call in seed 004's shapes. The call workflow uses
 * it when no LLM is configured, as triage uses its local rules.
 */
export const CONVERSATION_STATES = ['greeting', 'discovery', 'qualification', 'closing', 'ended'] as const;
export type ConversationState = (typeof CONVERSATION_STATES)[number];

export interface CallContext {
  /** Who speaks for the business ("Sarah"). */
  agentName: string;
  /** The business ("AI Solutions"). */
  businessName: string;
  /** The person called, by first name when known. */
  leadName: string | null;
  /** The person's company. */
  leadCompany: string | null;
  /** Why we call (seed 004's `purpose`). */
  purpose: string | null;
}

export interface UtteranceAnalysis {
  /** -1 (hostile) … 1 (delighted). */
  sentiment: number;
  intent: string;
  objections: string[];
  interest_signals: string[];
}

export interface Turn {
  role: 'agent' | 'caller';
  text: string;
  state: ConversationState;
  analysis?: UtteranceAnalysis;
}

type Rule = readonly [name: string, pattern: RegExp];

// Intents, most decisive first: the first that matches names the utterance.
const INTENTS: readonly Rule[] = [
  ['do_not_call', /\b(stop calling|don'?t call|do not call|remove (me|my number)|take me off|never call)\b/],
  ['not_interested', /\b(not interested|no thanks|no thank you|not for us|we'?re good|not right now,? thanks)\b/],
  ['busy', /\b(bad time|busy right now|in a meeting|call (me )?back later|can'?t talk)\b/],
  ['schedule_meeting', /\b(book|schedule|set up|arrange)\b.*\b(call|meeting|demo|time)\b|\b(tomorrow|next week|monday|tuesday|wednesday|thursday|friday) (at|works)\b/],
  ['pricing_inquiry', /\b(how much|price|pricing|cost|quote)\b/],
  ['question', /\?\s*$/],
  ['affirmative', /^(yes|yeah|yep|sure|of course|absolutely|okay|ok|go ahead)\b/],
];

const OBJECTIONS: readonly Rule[] = [
  ['price', /\b(too expensive|expensive|too much|no budget|budget|can'?t afford|cost(s)? too)\b/],
  ['timing', /\b(not now|bad time|next (quarter|year)|later this year|too busy|no time)\b/],
  ['authority', /\b(my (boss|manager|partner)|not my decision|need to (check|ask|talk)|run it by)\b/],
  ['need', /\b(don'?t need|no need|already have|happy with (our|what)|works fine)\b/],
  ['competitor', /\b(already use|we use|using (another|a different)|competitor|signed with)\b/],
  ['trust', /\b(scam|who is this|how did you get (my|this) number|spam)\b/],
];

const SIGNALS: readonly Rule[] = [
  ['verbal_interest', /\b(interested|sounds (good|great|interesting)|tell me more|few minutes|go ahead|i'?d like|love to)\b|^(yes|sure|yeah)\b/],
  ['demo_interest', /\b(demo|show me|see it|trial|try it)\b/],
  ['pricing_interest', /\b(how much|price|pricing|cost|quote|plans?)\b/],
  ['timeline_interest', /\b(how soon|how long|when can|this (month|week|quarter)|next (week|month)|timeline|start)\b/],
  ['decision_maker', /\b(i decide|my decision|i'?m the (owner|founder|ceo|decision maker)|i own)\b/],
];

const matching = (rules: readonly Rule[], text: string) => rules.filter(([, re]) => re.test(text)).map(([name]) => name);

/** What one utterance of the caller says. */
export function analyzeUtterance(text: string): UtteranceAnalysis {
  const t = text.toLowerCase().replace(/\s+/g, ' ').trim();
  const objections = matching(OBJECTIONS, t);
  const intent = matching(INTENTS, t)[0] ?? 'general_inquiry';
  // An objection or a refusal is not interest, whatever polite words come with it.
  const refusing = intent === 'do_not_call' || intent === 'not_interested';
  const interest = refusing ? [] : matching(SIGNALS, t);
  return { sentiment: scoreSentiment(text), intent, objections, interest_signals: interest };
}

/** The conversation's next state after the caller's latest utterance (`turnsInState`: the caller's utterances so far in the current state, this one included). */
export function nextState(current: ConversationState, analysis: UtteranceAnalysis, turnsInState: number): ConversationState {
  if (current === 'ended') return 'ended';
  if (['do_not_call', 'not_interested', 'busy'].includes(analysis.intent)) return current === 'closing' ? 'ended' : 'closing';
  switch (current) {
    case 'greeting':
      return 'discovery';
    case 'discovery': {
      const buying = analysis.interest_signals.some((s) => s !== 'verbal_interest');
      return buying || turnsInState >= 2 ? 'qualification' : 'discovery';
    }
    case 'qualification':
      return analysis.intent === 'schedule_meeting' || turnsInState >= 2 ? 'closing' : 'qualification';
    case 'closing':
      return 'ended';
  }
}

const firstName = (name: string | null) => name?.trim().split(/\s+/)[0] || null;

/** The agent's first line, when the call is answered. */
export function openingMessage(ctx: CallContext): string {
  const name = firstName(ctx.leadName);
  return `Hi${name ? ` ${name}` : ''}, this is ${ctx.agentName} calling from ${ctx.businessName}. I hope I'm catching you at a good time!`;
}

const OBJECTION_ANSWERS: Record<string, string> = {
  price: 'I understand budget matters. Most of our customers start small and see the cost covered within a few months; I can send you the plans so you can compare.',
  timing: 'Completely understand. When would be a better time to pick this up?',
  authority: 'That makes sense. Who else should be part of the conversation? I am happy to include them.',
  need: 'Fair enough. Out of curiosity, what is working well with your current setup?',
  competitor: 'Good to know. Many of our customers came from other tools; what would you improve about yours?',
  trust: `Of course. We work with businesses like yours, and I am happy to send details by email first.`,
};

/**
 * The agent's next line for the state the conversation moved to, answering an objection
 * first when the caller raised one; `should_continue` is false once the call should end.
 */
export function agentReply(ctx: CallContext, state: ConversationState, analysis: UtteranceAnalysis): { text: string; should_continue: boolean } {
  if (analysis.intent === 'do_not_call') return { text: 'I am sorry to have bothered you. I will make sure you are not called again. Have a good day.', should_continue: false };
  if (analysis.intent === 'not_interested') return { text: 'No problem at all, thank you for your time. Have a great day!', should_continue: false };
  if (analysis.intent === 'busy') return { text: 'Of course, I will let you go. We will try you at a better time. Thank you!', should_continue: false };
  if (state === 'ended') return { text: 'Thank you for your time today. Goodbye!', should_continue: false };
  const answer = analysis.objections.map((o) => OBJECTION_ANSWERS[o]).find(Boolean);
  const company = ctx.leadCompany ?? 'your team';
  const next: Record<Exclude<ConversationState, 'ended'>, string> = {
    greeting: `${ctx.purpose ? `I am calling about ${ctx.purpose.replace(/\.$/, '').toLowerCase()}. ` : ''}Do you have a couple of minutes?`,
    discovery: `Great! I wanted to reach out to learn how ${company} handles things today. What challenges are you currently facing?`,
    qualification: 'That helps. How soon are you looking to solve this, and who else would be involved in the decision?',
    closing: 'Would you be open to a short follow-up call this week to walk through it together?',
  };
  return { text: answer ? `${answer} ${next[state]}` : next[state], should_continue: true };
}

export interface CallSummary {
  duration_minutes: number;
  total_exchanges: number;
  conversation_state: ConversationState;
  objections_raised: string[];
  interest_signals: string[];
  overall_sentiment: number;
  recommendation: string;
}

export interface CallAnalytics {
  conversion_probability: number;
  engagement_score: number;
  total_turns: number;
  avg_sentiment: number;
}

const clamp01 = (n: number) => Math.round(Math.max(0, Math.min(1, n)) * 100) / 100;

/** A finished call's summary, analytics and recommendation (seed 004's `end` answer). */
export function summarizeCall(turns: Turn[], durationMs: number): { summary: CallSummary; analytics: CallAnalytics } {
  const heard = turns.filter((t) => t.role === 'caller' && t.analysis);
  const analyses = heard.map((t) => t.analysis as UtteranceAnalysis);
  const unique = (xs: string[]) => [...new Set(xs)];
  const objections = unique(analyses.flatMap((a) => a.objections));
  const signals = unique(analyses.flatMap((a) => a.interest_signals));
  const avg = analyses.length ? Math.round((analyses.reduce((s, a) => s + a.sentiment, 0) / analyses.length) * 100) / 100 : 0;
  const refused = analyses.some((a) => a.intent === 'do_not_call' || a.intent === 'not_interested');
  const doNotCall = analyses.some((a) => a.intent === 'do_not_call');
  const reached = turns.at(-1)?.state ?? 'greeting';
  const words = heard.reduce((n, t) => n + t.text.split(/\s+/).filter(Boolean).length, 0);
  const conversion = refused ? 0.05 : clamp01(0.2 + 0.12 * signals.length + 0.25 * Math.max(0, avg) - 0.08 * objections.length + (reached === 'closing' || reached === 'ended' ? 0.1 : 0));
  const engagement = clamp01(heard.length / 10 + words / (heard.length || 1) / 40);
  const recommendation = doNotCall
    ? 'Do not call - the contact asked not to be called again'
    : refused
      ? 'Low priority - Not interested for now; revisit next quarter'
      : conversion >= 0.7
        ? 'High priority - Schedule immediate call'
        : objections.includes('price') || signals.includes('pricing_interest')
          ? 'Medium priority - Follow up with pricing information'
          : conversion >= 0.4
            ? 'Medium priority - Follow up within a week'
            : 'Low priority - Nurture with occasional follow-ups';
  return {
    summary: {
      duration_minutes: Math.round((durationMs / 60_000) * 10) / 10,
      total_exchanges: heard.length,
      conversation_state: reached,
      objections_raised: objections,
      interest_signals: signals,
      overall_sentiment: avg,
      recommendation,
    },
    analytics: { conversion_probability: conversion, engagement_score: engagement, total_turns: turns.length, avg_sentiment: avg },
  };
}
