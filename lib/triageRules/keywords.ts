/**
 * Keyword rules that stand in for a model when no LLM is configured: which category a
 * message belongs to, how sure we are, what it wants, and how urgent it is. Pure.
 */
import type { Priority, TriageCategory } from '../triage.ts';

interface KeywordRule {
  /** Shown in `matched`, so tests and logs can tell why a category won. */
  label: string;
  pattern: RegExp;
}

const rule = (label: string, pattern: RegExp): KeywordRule => ({ label, pattern });

/**
 * Each rule counts once however often it matches, so one repeated word cannot outvote
 * several different signals. A few non-English words are included for the languages
 * detectLanguage knows.
 */
const CATEGORY_RULES: Record<Exclude<TriageCategory, 'other'>, KeywordRule[]> = {
  spam: [
    rule('viagra', /\b(?:viagra|cialis)\b/i),
    rule('crypto giveaway', /\bcrypto(?:currency)?\s+give-?away\b/i),
    rule('giveaway', /\bgive-?away\b/i),
    rule('click here', /\bclick\s+(?:here|this link|below)\b/i),
    rule('winner', /\bwinners?\b/i),
    rule('lottery', /\blotter(?:y|ies)\b/i),
    rule('you won', /\byou(?:'ve| have)?\s+(?:just\s+)?won\b/i),
    rule('prize', /\b(?:claim|collect)\s+your\s+(?:prize|reward|winnings)\b/i),
    rule('free money', /\b(?:free money|100% free|make money fast|earn \$\d+)/i),
    rule('casino', /\bcasino\b/i),
    rule('act now', /\b(?:act now|limited[- ]time offer)\b/i),
    rule('congratulations', /\bcongratulations\b.*\b(?:selected|won|winner|prize)\b/is),
    rule('seo services', /\b(?:seo services|backlinks|rank your website)\b/i),
  ],
  complaint: [
    rule('angry', /\b(?:angry|furious|outraged|livid)\b/i),
    rule('terrible', /\bterrible\b/i),
    rule('worst', /\bworst\b/i),
    rule('unacceptable', /\bunacceptable\b/i),
    rule('disappointed', /\b(?:disappointed|disappointing)\b/i),
    rule('horrible', /\b(?:horrible|awful|appalling|disgusting|disgusted)\b/i),
    rule('ridiculous', /\bridiculous\b/i),
    rule('never again', /\bnever again\b/i),
    rule('complaint', /\bcomplain(?:t|ts|ing|ed)?\b/i),
    rule('rude', /\brude\b/i),
    rule('fed up', /\bfed up\b/i),
    rule('waste', /\bwaste of (?:time|money)\b/i),
    rule('manager', /\b(?:speak|talk) (?:to|with) (?:a|your|the) (?:manager|supervisor)\b/i),
    rule('poor service', /\b(?:poor|bad|lousy) (?:service|experience|quality)\b/i),
    rule('reklamation', /\b(?:reklamation|beschwerde|queja|plainte|inaceptable|inacceptable)\b/i),
  ],
  billing: [
    rule('invoice', /\binvoices?\b/i),
    rule('refund', /\brefund(?:s|ed)?\b/i),
    rule('charge', /\b(?:charge|charges|charged|overcharged|chargeback)\b/i),
    rule('payment', /\bpayments?\b/i),
    rule('bill', /\b(?:bill|billed|billing)\b/i),
    rule('receipt', /\breceipts?\b/i),
    rule('credit card', /\b(?:credit|debit) card\b/i),
    rule('subscription', /\bsubscriptions?\b/i),
    rule('factura', /\b(?:factura|rechnung|facture|pago|zahlung|paiement|remboursement|reembolso)\b/i),
  ],
  sales_inquiry: [
    rule('pricing', /\bpric(?:e|es|ing)\b/i),
    rule('quote', /\b(?:quote|quotation)\b/i),
    rule('buy', /\b(?:buy|buying|purchase|purchasing)\b/i),
    rule('interested', /\binterested\b/i),
    rule('demo', /\bdemo\b/i),
    rule('cost', /\bcosts?\b/i),
    rule('how much', /\bhow much\b/i),
    rule('seats', /\b(?:seats|licen[cs]es)\b/i),
    rule('trial', /\b(?:free )?trial\b/i),
    rule('discount', /\b(?:discount|volume pricing|enterprise plan)\b/i),
    rule('estimate', /\b(?:estimate|proposal)\b/i),
    rule('sign up', /\bsign(?: |-)?up\b/i),
    rule('precio', /\b(?:precio|precios|presupuesto|cotización|preis|preise|angebot|prix|devis|tarif)\b/i),
  ],
  appointment: [
    rule('appointment', /\bappointments?\b/i),
    rule('schedule', /\bschedul(?:e|ed|ing)\b/i),
    rule('book', /\b(?:book|booking)\b/i),
    rule('meeting', /\bmeeting\b/i),
    rule('reschedule', /\b(?:reschedule|postpone)\b/i),
    rule('availability', /\b(?:availability|available|are you free)\b/i),
    rule('meet', /\bmeet (?:up|with|you)\b/i),
    rule('slot', /\b(?:time ?slot|slot)\b/i),
    rule('consultation', /\bconsultation\b/i),
    rule('calendar', /\bcalendar (?:invite|invitation)\b/i),
    rule('cita', /\b(?:cita|reunión|termin|rendez-vous)\b/i),
  ],
  support: [
    rule('help', /\bhelp\b/i),
    rule('broken', /\bbroken\b/i),
    rule('error', /\berrors?\b/i),
    rule('not working', /\b(?:not working|doesn't work|does not work|stopped working|isn't working)\b/i),
    rule('issue', /\b(?:issue|issues|problem|problems)\b/i),
    rule('bug', /\b(?:bug|crash|crashes|crashed|freezes)\b/i),
    rule('cannot access', /\b(?:can't|cannot|can not|unable to) (?:log ?in|sign in|access|connect|open)\b/i),
    rule('fix', /\bfix\b/i),
    rule('how do i', /\bhow (?:do|can) i\b/i),
    rule('password', /\b(?:password|reset|locked out)\b/i),
    rule('setup', /\b(?:set ?up|install|configure)\b/i),
    rule('ayuda', /\b(?:ayuda|hilfe|aide|funciona|funktioniert)\b/i),
  ],
};

/** When two categories score the same, the one earlier here wins: the costlier mistake goes first. */
const TIE_BREAK_ORDER: ReadonlyArray<Exclude<TriageCategory, 'other'>> = ['spam', 'complaint', 'billing', 'sales_inquiry', 'appointment', 'support'];

const LINK = /\bhttps?:\/\/\S+|\bwww\.\S+/gi;

export interface CategoryScore {
  category: Exclude<TriageCategory, 'other'>;
  score: number;
  matched: string[];
}

export interface CategoryDecision {
  category: TriageCategory;
  /** 0-1: grows with the number of distinct signals, shrinks on a tie, stays ≤ 0.4 for 'other'. */
  confidence: number;
  /** Labels of the rules that fired for the winning category. */
  matched: string[];
  /** Every category that scored, best first. */
  scores: CategoryScore[];
}

/** Counts, for each category, how many distinct keyword rules match `text`; best first, ties in TIE_BREAK_ORDER. */
export function scoreCategories(text: string): CategoryScore[] {
  const scores = TIE_BREAK_ORDER.map((category): CategoryScore => {
    const matched = CATEGORY_RULES[category].filter((r) => r.pattern.test(text)).map((r) => r.label);
    return { category, score: matched.length, matched };
  });
  // Link farms are the commonest spam with no telltale words.
  const links = text.match(LINK)?.length ?? 0;
  const spam = scores.find((s) => s.category === 'spam');
  if (spam && links >= 3) {
    spam.score += 2;
    spam.matched.push(`${links} links`);
  }
  return scores.filter((s) => s.score > 0).sort((a, b) => b.score - a.score || TIE_BREAK_ORDER.indexOf(a.category) - TIE_BREAK_ORDER.indexOf(b.category));
}

/** Picks the category for `text` with a confidence that reflects how clearly it won. */
export function classifyCategory(text: string): CategoryDecision {
  const scores = scoreCategories(text);
  const [best, runnerUp] = scores;
  if (!best) return { category: 'other', confidence: text.trim() ? 0.3 : 0.1, matched: [], scores };
  let confidence = Math.min(0.9, 0.5 + 0.1 * (best.score - 1));
  if (runnerUp && runnerUp.score === best.score) confidence -= 0.1;
  return { category: best.category, confidence: Math.round(confidence * 100) / 100, matched: best.matched, scores };
}

const URGENT = /\b(?:urgent|urgently|asap|a\.s\.a\.p|emergency|immediately|right away|as soon as possible|critical|dringend|urgente|inmediatamente)\b/i;
const OUTAGE = /\b(?:down|outage|all (?:our |my )?users|production|can't (?:log ?in|access)|cannot (?:log ?in|access)|data loss|lost (?:all|my) data)\b/i;

/** How soon a human should look: urgency words win (except for spam), complaints are high, spam and chit-chat low. */
export function detectPriority(text: string, category: TriageCategory): Priority {
  if (category === 'spam') return 'low';
  if (URGENT.test(text)) return 'urgent';
  switch (category) {
    case 'complaint':
      return 'high';
    case 'support':
      return OUTAGE.test(text) ? 'high' : 'medium';
    case 'billing':
    case 'sales_inquiry':
    case 'appointment':
      return 'medium';
    case 'other':
      return 'low';
  }
}

const INTENT_RULES: Record<TriageCategory, Array<[RegExp, string]>> = {
  sales_inquiry: [
    [/\bdemo\b/i, 'request_demo'],
    [/\b(?:quote|quotation|estimate|proposal)\b/i, 'request_quote'],
    [/\b(?:pric(?:e|es|ing)|costs?|how much)\b/i, 'pricing_inquiry'],
    [/\btrial\b/i, 'start_trial'],
  ],
  appointment: [
    [/\b(?:reschedule|postpone|move (?:our|my|the) (?:meeting|appointment))\b/i, 'reschedule_appointment'],
    [/\bcancel\b/i, 'cancel_appointment'],
  ],
  billing: [
    [/\brefund/i, 'request_refund'],
    [/\b(?:overcharged|charged twice|double charged|chargeback|wrong charge)\b/i, 'dispute_charge'],
    [/\b(?:invoice|receipt)/i, 'invoice_request'],
    [/\b(?:payment|credit card|debit card)\b/i, 'payment_issue'],
  ],
  complaint: [[/\b(?:manager|supervisor|escalate)\b/i, 'escalate_complaint']],
  support: [
    [/\b(?:password|log ?in|sign in|locked out)\b/i, 'login_problem'],
    [/\b(?:error|bug|crash|broken|not working|doesn't work|does not work|stopped working)\b/i, 'report_problem'],
    [/\bhow (?:do|can|to)\b/i, 'how_to_question'],
  ],
  spam: [],
  other: [[/\b(?:thanks|thank you|thx)\b/i, 'acknowledgement']],
};

const DEFAULT_INTENT: Record<TriageCategory, string> = {
  sales_inquiry: 'purchase_interest',
  appointment: 'book_appointment',
  billing: 'billing_question',
  complaint: 'complaint',
  support: 'support_request',
  spam: 'spam',
  other: 'general_message',
};

/** A short snake_case label for what the sender wants, within the category. */
export function detectIntent(text: string, category: TriageCategory): string {
  return INTENT_RULES[category].find(([pattern]) => pattern.test(text))?.[1] ?? DEFAULT_INTENT[category];
}
