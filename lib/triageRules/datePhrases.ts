/**
 * The phrase layer of date extraction (lib/triageRules/dates.ts): finds date phrases
 * ("tomorrow", "next Monday", "March 5", "2026-12-01") and time phrases ("3pm",
 * "10:30", "2-3pm") separately, resolved against the message's arrival. Pure.
 */
import {
  type LocalDate,
  type LocalTime,
  addDays,
  compareLocalDates,
  isRealDate,
  isValidTimeZone,
  toZonedDateTime,
  weekdayOf,
} from './zonedTime.ts';

export interface DateContext {
  /** ISO-8601 instant the message arrived; relative phrases resolve against it. */
  receivedAt: string;
  /** IANA zone the sender's wall clock is in; unknown or missing means UTC. */
  timezone?: string | null;
}

/** One date (and maybe time) the text talks about, as wall-clock values in the context's zone. */
export interface DateMention {
  /** Offset of the mention's first character in the text. */
  index: number;
  /** The words that produced it, e.g. "tomorrow at 3pm". */
  text: string;
  date: LocalDate;
  /** Null for a day without a time ("on Friday"). */
  time: LocalTime | null;
  /** Set when the text gave a range ("2-3pm"). */
  endTime: LocalTime | null;
}
export interface Reference {
  instant: Date;
  timeZone: string;
  today: LocalDate;
  minutesIntoToday: number;
}

export interface Span {
  index: number;
  end: number;
}

export interface DatePhrase extends Span {
  date: LocalDate;
  /** "tonight": an hour without am/pm means the evening. */
  evening: boolean;
}

export interface TimePhrase extends Span {
  hour: number;
  minute: number;
  /** A 12-hour reading without am/pm ("at 3", "3:30"); resolved by context. */
  ambiguous: boolean;
  /** "at 8": too weak to stand alone, only used right next to a date. */
  weak: boolean;
  endTime: LocalTime | null;
}

export interface Phrases {
  dates: DatePhrase[];
  times: TimePhrase[];
  /** Expressions that carry both parts at once (ISO date-times, "in 2 hours"). */
  complete: DateMention[];
}

const MONTHS: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, sept: 9, oct: 10, nov: 11, dec: 12,
};
const MONTH_PATTERN = 'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?';
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MERIDIEM = '([ap])\\.?m\\b(?:(?<=\\.m)\\.)?';

/** Sentence punctuation between a date and a time means they belong to different thoughts. */
export const SENTENCE_BREAK = /[.!?;\n]/;
/** How far apart (in characters) a date and a time may be and still be read together. */
export const MAX_PAIRING_GAP = 30;
export const WEAK_PAIRING_GAP = 6;

function monthNumber(name: string): number {
  return MONTHS[name.toLowerCase().slice(0, name.toLowerCase().startsWith('sept') ? 4 : 3)] ?? 0;
}

export function referenceFor(context: DateContext): Reference | null {
  const instant = new Date(context.receivedAt);
  if (Number.isNaN(instant.getTime())) return null;
  const timeZone = context.timezone && isValidTimeZone(context.timezone) ? context.timezone : 'UTC';
  const local = toZonedDateTime(instant, timeZone);
  return {
    instant,
    timeZone,
    today: { year: local.year, month: local.month, day: local.day },
    minutesIntoToday: local.hour * 60 + local.minute,
  };
}

/** Runs `pattern` over `text` and blanks every match out of it, so later patterns cannot reuse the characters. */
function takeMatches(text: { value: string }, pattern: RegExp, onMatch: (match: RegExpExecArray) => boolean): void {
  for (const match of text.value.matchAll(pattern)) {
    if (onMatch(match)) {
      const blank = ' '.repeat(match[0].length);
      text.value = text.value.slice(0, match.index) + blank + text.value.slice(match.index + match[0].length);
    }
  }
}

function to24h(hour: number, meridiem: string | undefined): number {
  if (!meridiem) return hour;
  const pm = meridiem.toLowerCase() === 'p';
  if (hour === 12) return pm ? 12 : 0;
  return pm ? hour + 12 : hour;
}

/** Next occurrence of a weekday: "next X" means X in next calendar week (Monday-based); otherwise the soonest one after today. */
function resolveWeekday(today: LocalDate, weekday: number, qualifier: string | undefined): LocalDate {
  const todayWeekday = weekdayOf(today);
  if (qualifier === 'next') {
    const daysToNextMonday = ((1 - todayWeekday + 7) % 7) || 7;
    const nextMonday = addDays(today, daysToNextMonday);
    return addDays(nextMonday, (weekday + 6) % 7);
  }
  const delta = (weekday - todayWeekday + 7) % 7;
  if (delta === 0) return qualifier === 'this' ? today : addDays(today, 7);
  return addDays(today, delta);
}

/** A month/day without a year means the next time that day comes round (today included). */
function resolveMonthDay(today: LocalDate, month: number, day: number, year: number | undefined): LocalDate | null {
  if (year !== undefined) {
    const date = { year, month, day };
    return isRealDate(date) ? date : null;
  }
  const thisYear = { year: today.year, month, day };
  if (isRealDate(thisYear) && compareLocalDates(thisYear, today) >= 0) return thisYear;
  const nextYear = { year: today.year + 1, month, day };
  return isRealDate(nextYear) ? nextYear : null;
}

/** A mention whose date and time are both known, as a wall-clock value in the tenant's zone. */
function mentionAt(m: RegExpExecArray, local: LocalDate & LocalTime): DateMention {
  return {
    index: m.index,
    text: m[0],
    date: { year: local.year, month: local.month, day: local.day },
    time: { hour: local.hour, minute: local.minute },
    endTime: null,
  };
}

export function collectPhrases(original: string, ref: Reference): Phrases {
  const text = { value: original };
  const dates: DatePhrase[] = [];
  const times: TimePhrase[] = [];
  const complete: DateMention[] = [];
  const span = (m: RegExpExecArray): Span => ({ index: m.index, end: m.index + m[0].length });

  // ISO dates first: their digits would otherwise read as times or numeric dates. Only the
  // "T" form may carry an offset; after a space, "14:00-15:00" is a range, left to the time patterns.
  takeMatches(text, /\b(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?(?![\d:])/gi, (m) => {
    const date = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
    if (!isRealDate(date)) return false;
    if (m[4] === undefined) {
      dates.push({ ...span(m), date, evening: false });
      return true;
    }
    const hour = Number(m[4]);
    const minute = Number(m[5]);
    if (hour > 23 || minute > 59) return false;
    let local = { ...date, hour, minute };
    if (m[7]) {
      // An explicit offset pins the instant; re-read it on the tenant's wall clock.
      const instant = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}${m[7].length === 5 ? `${m[7].slice(0, 3)}:${m[7].slice(3)}` : m[7]}`);
      if (Number.isNaN(instant.getTime())) return false;
      local = toZonedDateTime(instant, ref.timeZone);
    }
    complete.push(mentionAt(m, local));
    return true;
  });

  // "in 2 hours" / "in 30 minutes" name an instant; "in 3 days" / "in 2 weeks" name a day.
  takeMatches(text, /\bin\s+(\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten)\s+(minutes?|mins?|hours?|hrs?|days?|weeks?)\b/gi, (m) => {
    const words: Record<string, number> = { a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10 };
    const amount = words[m[1].toLowerCase()] ?? Number(m[1]);
    const unit = m[2].toLowerCase();
    if (unit.startsWith('d') || unit.startsWith('w')) {
      dates.push({ ...span(m), date: addDays(ref.today, unit.startsWith('w') ? amount * 7 : amount), evening: false });
      return true;
    }
    const minutes = unit.startsWith('h') ? amount * 60 : amount;
    const local = toZonedDateTime(new Date(ref.instant.getTime() + minutes * 60_000), ref.timeZone);
    complete.push(mentionAt(m, local));
    return true;
  });

  takeMatches(text, /\b(day after tomorrow|tomorrow|today|tonight|this (?:morning|afternoon|evening))\b/gi, (m) => {
    const word = m[1].toLowerCase();
    const offset = word === 'day after tomorrow' ? 2 : word === 'tomorrow' ? 1 : 0;
    const evening = word === 'tonight' || word === 'this evening' || word === 'this afternoon';
    dates.push({ ...span(m), date: addDays(ref.today, offset), evening });
    return true;
  });

  takeMatches(text, new RegExp(`\\b(?:(next|this|coming)\\s+)?(${WEEKDAYS.join('|')})\\b`, 'gi'), (m) => {
    const qualifier = m[1]?.toLowerCase();
    const weekday = WEEKDAYS.indexOf(m[2].toLowerCase());
    dates.push({ ...span(m), date: resolveWeekday(ref.today, weekday, qualifier), evening: false });
    return true;
  });

  // "March 5", "Mar 5th, 2027"
  takeMatches(text, new RegExp(`\\b(${MONTH_PATTERN})\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b(?!:)(?:,?\\s+(\\d{4})\\b)?`, 'gi'), (m) => {
    const date = resolveMonthDay(ref.today, monthNumber(m[1]), Number(m[2]), m[3] ? Number(m[3]) : undefined);
    if (!date) return false;
    dates.push({ ...span(m), date, evening: false });
    return true;
  });

  // "5 March", "5th of March 2027"
  takeMatches(text, new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?(${MONTH_PATTERN})\\b\\.?(?:,?\\s+(\\d{4})\\b)?`, 'gi'), (m) => {
    const date = resolveMonthDay(ref.today, monthNumber(m[2]), Number(m[1]), m[3] ? Number(m[3]) : undefined);
    if (!date) return false;
    dates.push({ ...span(m), date, evening: false });
    return true;
  });

  // Numeric dates only with a year ("24/7" is not July 24th). Dots are day-first (European);
  // slashes are month-first unless the first number cannot be a month.
  takeMatches(text, /\b(\d{1,2})([./])(\d{1,2})\2(\d{4})\b/g, (m) => {
    const a = Number(m[1]);
    const b = Number(m[3]);
    const dayFirst = m[2] === '.' || a > 12;
    const date = { year: Number(m[4]), month: dayFirst ? b : a, day: dayFirst ? a : b };
    if (!isRealDate(date)) return false;
    dates.push({ ...span(m), date, evening: false });
    return true;
  });

  // Ranges: "2-3pm", "from 9am to 5pm", "between 2 and 4 p.m.", "14:00-15:30".
  takeMatches(
    text,
    new RegExp(`\\b(?:(?:from|between)\\s+)?(\\d{1,2})(?::(\\d{2}))?\\s*(?:${MERIDIEM})?\\s*(?:-|–|to|until|till|and)\\s*(\\d{1,2})(?::(\\d{2}))?\\s*${MERIDIEM}`, 'gi'),
    (m) => {
      const endHour = to24h(Number(m[4]), m[6]);
      let startHour = to24h(Number(m[1]), m[3] ?? m[6]);
      // "11-1pm": borrowing "pm" for the start would put it after the end.
      if (!m[3] && startHour > endHour) startHour = to24h(Number(m[1]), 'a');
      const startMinute = Number(m[2] ?? 0);
      const endMinute = Number(m[5] ?? 0);
      if (Number(m[1]) > 12 || Number(m[4]) > 12 || startMinute > 59 || endMinute > 59) return false;
      times.push({ ...span(m), hour: startHour, minute: startMinute, ambiguous: false, weak: false, endTime: { hour: endHour, minute: endMinute } });
      return true;
    },
  );
  takeMatches(text, /\b([01]?\d|2[0-3]):([0-5]\d)\s*(?:-|–|to|until|till)\s*([01]?\d|2[0-3]):([0-5]\d)\b/g, (m) => {
    times.push({
      ...span(m),
      hour: Number(m[1]),
      minute: Number(m[2]),
      ambiguous: false,
      weak: false,
      endTime: { hour: Number(m[3]), minute: Number(m[4]) },
    });
    return true;
  });

  // "3pm", "10:30 a.m."
  takeMatches(text, new RegExp(`\\b(\\d{1,2})(?::(\\d{2}))?\\s*${MERIDIEM}`, 'gi'), (m) => {
    const hour = Number(m[1]);
    const minute = Number(m[2] ?? 0);
    if (hour < 1 || hour > 12 || minute > 59) return false;
    times.push({ ...span(m), hour: to24h(hour, m[3]), minute, ambiguous: false, weak: false, endTime: null });
    return true;
  });

  // "14:00", "10:30", "3:30": 12-hour-looking ones without a leading zero are decided later.
  takeMatches(text, /(?<![\d:.])(\d{1,2}):(\d{2})(?![\d:])/g, (m) => {
    const hour = Number(m[1]);
    const minute = Number(m[2]);
    if (hour > 23 || minute > 59) return false;
    const ambiguous = hour >= 1 && hour <= 12 && !m[1].startsWith('0');
    times.push({ ...span(m), hour, minute, ambiguous, weak: false, endTime: null });
    return true;
  });

  takeMatches(text, /\b(noon|midday|midnight)\b/gi, (m) => {
    const hour = m[1].toLowerCase() === 'midnight' ? 0 : 12;
    times.push({ ...span(m), hour, minute: 0, ambiguous: false, weak: false, endTime: null });
    return true;
  });

  // "at 8", "8 o'clock": only meaningful right next to a date.
  takeMatches(text, /\b(?:at\s+(\d{1,2})(?:\s*o'?clock)?|(\d{1,2})\s*o'?clock)\b(?![:.,]?\d)/gi, (m) => {
    const hour = Number(m[1] ?? m[2]);
    if (hour < 1 || hour > 12) return false;
    const oClock = /o'?clock/i.test(m[0]);
    times.push({ ...span(m), hour, minute: 0, ambiguous: true, weak: !oClock, endTime: null });
    return true;
  });

  return { dates, times, complete };
}

/** Business-hours reading of an hour written without am/pm: 1-6 is the afternoon, and "tonight" is the evening. */
export function disambiguate(time: TimePhrase, evening: boolean): LocalTime {
  if (!time.ambiguous) return { hour: time.hour, minute: time.minute };
  const hour = time.hour === 12 ? 12 : evening || time.hour <= 6 ? time.hour + 12 : time.hour;
  return { hour, minute: time.minute };
}

export function gapBetween(a: Span, b: Span): { from: number; to: number } {
  return a.end <= b.index ? { from: a.end, to: b.index } : { from: b.end, to: a.index };
}
