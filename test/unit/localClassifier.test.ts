import { describe, expect, it } from '@jest/globals';
import { type TriageInput, triageResultSchema } from '../../lib/triage.ts';
import { extractCompany, extractContacts, extractName, extractPhones, normalizePhone } from '../../lib/triageRules/contacts.ts';
import { classifyCategory } from '../../lib/triageRules/keywords.ts';
import { detectLanguage } from '../../lib/triageRules/language.ts';
import { scoreSentiment } from '../../lib/triageRules/sentiment.ts';
import { summarize } from '../../lib/triageRules/summary.ts';
import { extractTaskPhrases } from '../../lib/triageRules/tasks.ts';
import { classifyWithRules, createLocalClassifier } from '../../providers/llm/localClassifier.ts';

const message = (content: string, extra: Partial<TriageInput> = {}): TriageInput => ({
  channel: 'email',
  content,
  customer: {},
  receivedAt: '2026-03-10T09:00:00Z',
  timezone: 'America/New_York',
  ...extra,
});

const SALES = "Hi, I'm Jane Doe from Acme Corp, interested in pricing for 20 seats, jane@acme.com, +1 415 555 0100";
const APPOINTMENT = 'Can we book a meeting tomorrow at 3pm?';
const SPAM = 'CONGRATULATIONS!!! You are the lucky WINNER of our crypto giveaway. Click here to claim your prize: http://win.example/a http://win.example/b http://win.example/c';
const COMPLAINT = "This is unacceptable. I've waited two weeks for a reply and your service is the worst. I am really angry.";
const SUPPORT = 'Hello,\nthe app is not working since the update, I get an error when I try to log in. Can you help?\nThanks,\nBob Smith';

describe('local classifier', () => {
  it('is named local-rules and classifies without credentials', async () => {
    const classifier = createLocalClassifier();
    expect(classifier.name).toBe('local-rules');
    const result = await classifier.classify(message(SALES));
    expect(result.category).toBe('sales_inquiry');
  });

  it('classifies a sales inquiry and extracts the contact', () => {
    const result = classifyWithRules(message(SALES));
    expect(result).toMatchObject({ category: 'sales_inquiry', intent: 'pricing_inquiry', priority: 'medium', language: 'en' });
    expect(result.extracted_data.contacts).toEqual([{ name: 'Jane Doe', email: 'jane@acme.com', phone: '+14155550100', company: 'Acme Corp' }]);
    // interested + pricing + seats: three distinct signals.
    expect(result.confidence).toBeCloseTo(0.7);
    expect(result.summary).toMatch(/^I'm Jane Doe from Acme Corp/);
  });

  it('classifies an appointment request and resolves the proposed time', () => {
    const result = classifyWithRules(message(APPOINTMENT));
    expect(result.category).toBe('appointment');
    expect(result.intent).toBe('book_appointment');
    expect(result.extracted_data.events).toEqual([
      { title: 'Meeting', start: '2026-03-11T15:00:00-04:00', end: '2026-03-11T16:00:00-04:00', location: null },
    ]);
  });

  it('names the event after the sender and picks up the meeting tool', () => {
    const result = classifyWithRules(message('Could we schedule a demo on Zoom next Monday at 10:30?', { customer: { name: 'Ann Lee' } }));
    expect(result.extracted_data.events).toEqual([
      { title: 'Demo with Ann Lee', start: '2026-03-16T10:30:00-04:00', end: '2026-03-16T11:30:00-04:00', location: 'Zoom' },
    ]);
  });

  it('flags spam with low priority and extracts nothing from it', () => {
    const result = classifyWithRules(message(SPAM));
    expect(result).toMatchObject({ category: 'spam', priority: 'low', intent: 'spam' });
    expect(result.extracted_data).toEqual({ contacts: [], events: [], tasks: [] });
    expect(result.confidence).toBe(0.9);
  });

  it('treats a link farm as spam even without spam words', () => {
    const links = 'See https://a.example https://b.example https://c.example https://d.example';
    expect(classifyWithRules(message(links)).category).toBe('spam');
  });

  it('classifies a complaint as high priority with negative sentiment', () => {
    const result = classifyWithRules(message(COMPLAINT));
    expect(result.category).toBe('complaint');
    expect(result.priority).toBe('high');
    expect(result.sentiment).toBeLessThan(-0.5);
    expect(result.summary).toBe('This is unacceptable.');
  });

  it('classifies a support request and reads the signature', () => {
    const result = classifyWithRules(message(SUPPORT));
    expect(result).toMatchObject({ category: 'support', intent: 'login_problem', priority: 'medium' });
    expect(result.extracted_data.contacts).toEqual([{ name: 'Bob Smith', email: null, phone: null, company: null }]);
    expect(result.summary).toBe('The app is not working since the update, I get an error when I try to log in.');
  });

  it('raises urgency words to urgent, and turns requests into tasks with due dates', () => {
    const result = classifyWithRules(message('Please send me the invoice for February and remind me to renew on March 20 at 9am. Urgent!'));
    expect(result.category).toBe('billing');
    expect(result.priority).toBe('urgent');
    expect(result.extracted_data.tasks).toEqual([
      { title: 'Send me the invoice for February', due: null },
      { title: 'Remind me to renew on March 20 at 9am', due: '2026-03-20T09:00:00-04:00' },
    ]);
    // The time belongs to the reminder, and billing talk is no meeting.
    expect(result.extracted_data.events).toEqual([]);
  });

  it('falls back to other with low confidence', () => {
    const result = classifyWithRules(message('Thanks for the great service!'));
    expect(result.category).toBe('other');
    expect(result.confidence).toBeLessThanOrEqual(0.4);
    expect(result.priority).toBe('low');
    expect(result.sentiment).toBeGreaterThan(0.5);
  });

  it('uses the subject as well as the body', () => {
    const result = classifyWithRules(message('See below.', { subject: 'Refund for double charge' }));
    expect(result.category).toBe('billing');
    expect(result.intent).toBe('request_refund');
  });

  it('always produces schema-valid output, even for an empty message', () => {
    for (const content of [SALES, APPOINTMENT, SPAM, COMPLAINT, SUPPORT, '', '   ', 'x'.repeat(5000)]) {
      const result = classifyWithRules(message(content));
      expect(triageResultSchema.safeParse(result).success).toBe(true);
    }
  });

  it('is deterministic', () => {
    expect(classifyWithRules(message(SALES))).toEqual(classifyWithRules(message(SALES)));
  });

  it('honours an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(createLocalClassifier().classify(message(SALES), { signal: controller.signal })).rejects.toThrow('cancelled');
  });
});

describe('keyword scoring', () => {
  it('grows confidence with distinct signals and caps it at 0.9', () => {
    expect(classifyCategory('What is the price?').confidence).toBeCloseTo(0.5);
    expect(classifyCategory('What is the price? Can I get a quote and a demo? How much for 20 seats, any discount?').confidence).toBeCloseTo(0.9);
  });

  it('lowers confidence on a tie and breaks it toward the costlier category', () => {
    const decision = classifyCategory('It is broken and this is terrible');
    expect(decision.category).toBe('complaint');
    expect(decision.confidence).toBeCloseTo(0.4);
  });
});

describe('contacts', () => {
  it('normalises phone numbers towards E.164', () => {
    expect(normalizePhone('+1 (415) 555-0100')).toBe('+14155550100');
    expect(normalizePhone('0049 30 1234567')).toBe('+49301234567');
    expect(normalizePhone('(415) 555-0100')).toBe('+14155550100');
    expect(normalizePhone('030 1234567')).toBe('0301234567');
    expect(normalizePhone('12345')).toBeNull();
  });

  it('finds phones but not dates, times or order numbers', () => {
    expect(extractPhones('Call +44 20 7946 0958 or (415) 555-0100 on 2026-12-01 14:00 about order #12345678')).toEqual(['+442079460958', '+14155550100']);
  });

  it('reads names from introductions and signatures, not from adjectives', () => {
    expect(extractName('My name is Carlos Ruiz and I need help')).toBe('Carlos Ruiz');
    expect(extractName('This is Urgent, please call')).toBeNull();
    expect(extractName("I'm interested in your plans")).toBeNull();
    expect(extractName('Can you call me?\n\nBest regards,\nMaria Garcia')).toBe('Maria Garcia');
    expect(extractName('Need a quote. Thanks, Tom')).toBe('Tom');
  });

  it('reads companies after an introduction or with a legal suffix', () => {
    expect(extractCompany('This is Bob from Globex, we want a demo')).toBe('Globex');
    expect(extractCompany('I work at Initech LLC.')).toBe('Initech LLC');
    expect(extractCompany('Greetings from Berlin')).toBeNull();
  });

  it('pairs extra emails and phones into further contacts', () => {
    expect(extractContacts('Reach me at a@x.io or b@y.io, +1 212 555 0199')).toEqual([
      { name: null, email: 'a@x.io', phone: '+12125550199', company: null },
      { name: null, email: 'b@y.io', phone: null, company: null },
    ]);
  });
});

describe('language, sentiment, summary, tasks', () => {
  it('detects en, es, de and fr, defaulting to en', () => {
    expect(detectLanguage('Hola, quiero saber el precio de la suscripción para mi empresa')).toBe('es');
    expect(detectLanguage('Hallo, ich habe eine Frage zu meiner Rechnung und bitte um Hilfe')).toBe('de');
    expect(detectLanguage('Bonjour, je voudrais un rendez-vous pour mardi avec vous')).toBe('fr');
    expect(detectLanguage('Can you send the invoice?')).toBe('en');
    expect(detectLanguage('ok')).toBe('en');
  });

  it('keeps sentiment in [-1, 1] and handles negation', () => {
    expect(scoreSentiment('not happy')).toBeLessThan(0);
    expect(scoreSentiment('no problem, thanks')).toBeGreaterThan(0);
    const furious = scoreSentiment('terrible awful horrible worst angry furious useless '.repeat(20));
    expect(furious).toBeGreaterThanOrEqual(-1);
    expect(furious).toBeLessThan(-0.95);
    expect(scoreSentiment('The package arrived')).toBe(0);
  });

  it('summarises with the first meaningful sentence, truncated', () => {
    expect(summarize('Hello!\nI need a new password. Also other things.')).toBe('I need a new password.');
    expect(summarize('', 'Subject only')).toBe('Subject only');
    const long = summarize(`${'word '.repeat(100)}end.`);
    expect(long.length).toBeLessThanOrEqual(200);
    expect(long.endsWith('…')).toBe(true);
  });

  it('turns polite requests into imperative task titles', () => {
    expect(extractTaskPhrases('Could you please call me back at 9 a.m. tomorrow? Thanks').map((t) => t.title)).toEqual(['Call me back at 9 a.m. tomorrow']);
    expect(extractTaskPhrases('I checked and confirm the order')).toEqual([]);
  });
});
