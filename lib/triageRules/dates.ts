/**
 * Finds date/time expressions in English message text ("tomorrow at 3pm", "next Monday at
 * 10:30", "on March 5 at 2 pm", "2026-12-01 14:00", "Friday 9am", "in 2 hours") and
 * resolves them against the moment the message arrived, in the tenant's zone. Pure.
 *
 * The approach: collect date phrases and time phrases separately, then pair each date with
 * the nearest time in the same sentence. That handles either order ("3pm tomorrow") and
 * filler words in between without a grammar per combination.
 */
import { addDays, formatLocalDate, formatZonedIso, isValidTimeZone, zonedToInstant } from './zonedTime.ts';
import {
  type DateContext,
  type DateMention,
  type DatePhrase,
  type TimePhrase,
  MAX_PAIRING_GAP,
  SENTENCE_BREAK,
  WEAK_PAIRING_GAP,
  collectPhrases,
  disambiguate,
  gapBetween,
  referenceFor,
} from './datePhrases.ts';

export type { DateContext, DateMention };

/** A mention with a concrete time, as ISO-8601 strings with the zone's offset. */
export interface ResolvedDateTime {
  index: number;
  text: string;
  start: string;
  end: string;
}

/**
 * Every date the text mentions, paired with a time where one is near it, in text order.
 * Returns [] when `receivedAt` is not a valid instant (nothing relative can be resolved).
 */
export function findDateMentions(text: string, context: DateContext): DateMention[] {
  const ref = referenceFor(context);
  if (!ref) return [];
  const { dates, times, complete } = collectPhrases(text, ref);

  // Greedy pairing, closest pairs first, so "Monday at 9 and Tuesday at 10" pairs correctly.
  const candidates: Array<{ date: DatePhrase; time: TimePhrase; gap: number }> = [];
  for (const date of dates) {
    for (const time of times) {
      const { from, to } = gapBetween(date, time);
      if (to < from) continue;
      const between = text.slice(from, to);
      const limit = time.weak ? WEAK_PAIRING_GAP : MAX_PAIRING_GAP;
      if (between.length > limit || SENTENCE_BREAK.test(between)) continue;
      candidates.push({ date, time, gap: between.length });
    }
  }
  candidates.sort((a, b) => a.gap - b.gap || a.date.index - b.date.index);

  const pairedDates = new Set<DatePhrase>();
  const pairedTimes = new Set<TimePhrase>();
  const mentions: DateMention[] = [...complete];
  for (const { date, time } of candidates) {
    if (pairedDates.has(date) || pairedTimes.has(time)) continue;
    pairedDates.add(date);
    pairedTimes.add(time);
    const index = Math.min(date.index, time.index);
    mentions.push({
      index,
      text: text.slice(index, Math.max(date.end, time.end)),
      date: date.date,
      time: disambiguate(time, date.evening),
      endTime: time.endTime,
    });
  }
  for (const date of dates) {
    if (!pairedDates.has(date)) mentions.push({ index: date.index, text: text.slice(date.index, date.end), date: date.date, time: null, endTime: null });
  }
  for (const time of times) {
    if (pairedTimes.has(time) || time.weak) continue;
    // A bare time means its next occurrence: later today, else tomorrow.
    const local = disambiguate(time, false);
    const laterToday = local.hour * 60 + local.minute > ref.minutesIntoToday;
    mentions.push({
      index: time.index,
      text: text.slice(time.index, time.end),
      date: laterToday ? ref.today : addDays(ref.today, 1),
      time: local,
      endTime: time.endTime,
    });
  }
  return mentions.sort((a, b) => a.index - b.index);
}

/** The mention's start (and end: the given range end, else one hour later) as ISO-8601 with offset; null without a time. */
export function resolveMention(mention: DateMention, timezone?: string | null): { start: string; end: string } | null {
  if (!mention.time) return null;
  const timeZone = timezone && isValidTimeZone(timezone) ? timezone : 'UTC';
  const start = zonedToInstant({ ...mention.date, ...mention.time }, timeZone);
  let end = new Date(start.getTime() + 60 * 60_000);
  if (mention.endTime) {
    const rangeEnd = zonedToInstant({ ...mention.date, ...mention.endTime }, timeZone);
    if (rangeEnd.getTime() > start.getTime()) end = rangeEnd;
  }
  return { start: formatZonedIso(start, timeZone), end: formatZonedIso(end, timeZone) };
}

/** A due value for a task: ISO-8601 with offset when a time is known, else the bare "YYYY-MM-DD". */
export function formatDue(mention: DateMention, timezone?: string | null): string {
  return resolveMention(mention, timezone)?.start ?? formatLocalDate(mention.date);
}

/** Concrete date-times (date and time both known) in the text, resolved to ISO-8601 with offset. */
export function extractDateTimes(text: string, context: DateContext): ResolvedDateTime[] {
  const resolved: ResolvedDateTime[] = [];
  const seen = new Set<string>();
  for (const mention of findDateMentions(text, context)) {
    const times = resolveMention(mention, context.timezone);
    if (!times || seen.has(times.start)) continue;
    seen.add(times.start);
    resolved.push({ index: mention.index, text: mention.text, ...times });
  }
  return resolved;
}
