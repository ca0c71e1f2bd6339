/**
 * Rule-based triage that needs no credentials and no network: the fallback when no LLM
 * is configured, and the reference behaviour the fake OpenAI server answers with.
 * Deterministic: the same input always gives the same result.
 */
import { type TriageCategory, type TriageInput, type TriageResult, triageResultSchema } from '../../lib/triage.ts';
import { extractContacts } from '../../lib/triageRules/contacts.ts';
import { type DateMention, findDateMentions, formatDue, resolveMention } from '../../lib/triageRules/dates.ts';
import { classifyCategory, detectIntent, detectPriority } from '../../lib/triageRules/keywords.ts';
import { detectLanguage } from '../../lib/triageRules/language.ts';
import { scoreSentiment } from '../../lib/triageRules/sentiment.ts';
import { summarize } from '../../lib/triageRules/summary.ts';
import { type TaskPhrase, extractTaskPhrases } from '../../lib/triageRules/tasks.ts';
import type { TriageClassifier } from './types.ts';

type TriageEvent = TriageResult['extracted_data']['events'][number];
type TriageTask = TriageResult['extracted_data']['tasks'][number];

/** Words that make a date-time in the message a proposed meeting rather than, say, when an error happened. */
const MEETING_NOUN = /\b(meeting|meet|call|demo|appointment|consultation|visit|interview|session|lunch|coffee|cita|termin|rendez-vous)\b/i;
const LOCATION = /\b(zoom|google meet|microsoft teams|teams|skype|phone|your office|our office)\b/i;

const EVENT_TITLES: Record<string, string> = {
  meet: 'Meeting',
  cita: 'Appointment',
  termin: 'Appointment',
  'rendez-vous': 'Appointment',
};

function eventTitle(text: string, person: string | null): string {
  const noun = MEETING_NOUN.exec(text)?.[1]?.toLowerCase() ?? 'appointment';
  const title = EVENT_TITLES[noun] ?? noun.charAt(0).toUpperCase() + noun.slice(1);
  return person ? `${title} with ${person}` : title;
}

function eventLocation(text: string): string | null {
  const place = LOCATION.exec(text)?.[1]?.toLowerCase();
  if (!place) return null;
  if (place === 'your office' || place === 'our office') return 'Office';
  if (place === 'teams') return 'Microsoft Teams';
  return place.replace(/\b\p{L}/gu, (c) => c.toUpperCase());
}

const within = (mention: DateMention, task: TaskPhrase): boolean => mention.index >= task.index && mention.index < task.index + task.length;

function extractEvents(text: string, mentions: DateMention[], tasks: TaskPhrase[], category: TriageCategory, person: string | null, timezone: string | undefined): TriageEvent[] {
  if (category !== 'appointment' && !MEETING_NOUN.test(text)) return [];
  const events: TriageEvent[] = [];
  for (const mention of mentions) {
    // A time inside a request ("please call me tomorrow at 3pm") is that task's due date, not a meeting.
    if (tasks.some((task) => within(mention, task))) continue;
    const times = resolveMention(mention, timezone);
    if (!times || events.some((e) => e.start === times.start)) continue;
    events.push({ title: eventTitle(text, person), start: times.start, end: times.end, location: eventLocation(text) });
  }
  return events;
}

function extractTasks(mentions: DateMention[], tasks: TaskPhrase[], timezone: string | undefined): TriageTask[] {
  return tasks.map((task) => {
    const due = mentions.find((m) => within(m, task));
    return { title: task.title, due: due ? formatDue(due, timezone) : null };
  });
}

/** Triage by keyword rules; synchronous and pure. The result always satisfies triageResultSchema. */
export function classifyWithRules(input: TriageInput): TriageResult {
  const text = input.subject ? `${input.subject}\n${input.content}` : input.content;
  const timezone = input.timezone ?? undefined;
  const decision = classifyCategory(text);
  const category = decision.category;

  // Spam gets no extraction: its "contacts" and "events" are bait, not leads.
  let extracted: TriageResult['extracted_data'] = { contacts: [], events: [], tasks: [] };
  if (category !== 'spam') {
    const contacts = extractContacts(text);
    const mentions = findDateMentions(text, { receivedAt: input.receivedAt, timezone });
    const taskPhrases = extractTaskPhrases(text);
    const person = contacts[0]?.name ?? input.customer.name ?? null;
    extracted = {
      contacts,
      events: extractEvents(text, mentions, taskPhrases, category, person, timezone),
      tasks: extractTasks(mentions, taskPhrases, timezone),
    };
  }

  return triageResultSchema.parse({
    category,
    intent: detectIntent(text, category),
    priority: detectPriority(text, category),
    sentiment: scoreSentiment(text),
    language: detectLanguage(text),
    summary: summarize(input.content, input.subject),
    extracted_data: extracted,
    confidence: decision.confidence,
  });
}

/** A TriageClassifier ("local-rules") backed by classifyWithRules; works offline with no credentials. */
export function createLocalClassifier(): TriageClassifier {
  return {
    name: 'local-rules',
    async classify(input: TriageInput, options?: { signal?: AbortSignal }): Promise<TriageResult> {
      options?.signal?.throwIfAborted();
      return classifyWithRules(input);
    },
  };
}
