import { DateTime } from 'luxon';

/**
 * Free time (pure): the tenant's working hours, read in the tenant's zone, minus busy
 * time, cut into bookable slots. Instants throughout; luxon places each wall-clock time
 * in its zone, so a day that changes clocks has the right hours.
 */
export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** `start` before `end`, HH:MM; `end` may be 24:00 (the day's end). */
export interface Period {
  start: string;
  end: string;
}
export type WorkingHours = Record<Weekday, Period[]>;

const NINE_TO_FIVE: Period[] = [{ start: '09:00', end: '17:00' }];
export const DEFAULT_WORKING_HOURS: WorkingHours = {
  monday: NINE_TO_FIVE,
  tuesday: NINE_TO_FIVE,
  wednesday: NINE_TO_FIVE,
  thursday: NINE_TO_FIVE,
  friday: NINE_TO_FIVE,
  saturday: [],
  sunday: [],
};

export interface Interval {
  start: Date;
  end: Date;
}

/** Minutes since midnight of an HH:MM (24:00 allowed), or null. */
export function minuteOfDay(hhmm: string): number | null {
  const m = /^(\d{2}):([0-5]\d)$/.exec(hhmm);
  if (!m) return null;
  const total = Number(m[1]) * 60 + Number(m[2]);
  return total <= 24 * 60 ? total : null;
}

/** Why a day's periods are unusable (end not after start, overlapping), or null when they are fine. */
export function periodsProblem(periods: Period[]): string | null {
  const spans = periods.map((p) => [minuteOfDay(p.start), minuteOfDay(p.end)] as const);
  if (spans.some(([s, e]) => s === null || e === null || s >= 24 * 60)) return 'times are HH:MM, from 00:00 to 24:00';
  if (spans.some(([s, e]) => (e as number) <= (s as number))) return 'each period must end after it starts';
  const sorted = [...spans].sort((a, b) => (a[0] as number) - (b[0] as number));
  for (let i = 1; i < sorted.length; i++) if ((sorted[i][0] as number) < (sorted[i - 1][1] as number)) return 'periods must not overlap';
  return null;
}

/** The working periods, as instants, of every day in `zone` that touches [from, to), clipped to it. */
export function workingIntervals(hours: WorkingHours, zone: string, from: Date, to: Date): Interval[] {
  const out: Interval[] = [];
  const last = DateTime.fromJSDate(to, { zone });
  for (let day = DateTime.fromJSDate(from, { zone }).startOf('day'); day < last; day = day.plus({ days: 1 }).startOf('day')) {
    for (const p of hours[WEEKDAYS[day.weekday - 1]]) {
      // Wall-clock minutes after midnight, so 09:00 on a day that springs forward at 02:00 is still 09:00.
      const wall = (hhmm: string) => {
        const m = minuteOfDay(hhmm) ?? 0;
        return m === 24 * 60 ? day.plus({ days: 1 }).startOf('day').toJSDate() : day.set({ hour: Math.floor(m / 60), minute: m % 60 }).toJSDate();
      };
      const start = new Date(Math.max(wall(p.start).getTime(), from.getTime()));
      const end = new Date(Math.min(wall(p.end).getTime(), to.getTime()));
      if (start < end) out.push({ start, end });
    }
  }
  return out;
}

/** `free` minus every busy interval; both need not be sorted, the answer is. */
export function subtract(free: Interval[], busy: Interval[]): Interval[] {
  const blocks = [...busy].sort((a, b) => a.start.getTime() - b.start.getTime());
  const out: Interval[] = [];
  for (const f of [...free].sort((a, b) => a.start.getTime() - b.start.getTime())) {
    let cursor = f.start.getTime();
    const end = f.end.getTime();
    for (const b of blocks) {
      if (b.end.getTime() <= cursor || b.start.getTime() >= end) continue;
      if (b.start.getTime() > cursor) out.push({ start: new Date(cursor), end: b.start });
      cursor = Math.max(cursor, b.end.getTime());
      if (cursor >= end) break;
    }
    if (cursor < end) out.push({ start: new Date(cursor), end: f.end });
  }
  return out;
}

export interface SlotQuery {
  /** The day asked about, YYYY-MM-DD in `timezone`. */
  date: string;
  /** The asker's zone: the day's bounds are read in it. */
  timezone: string;
  hours: WorkingHours;
  /** The zone the working hours are kept in (the tenant's). */
  workingZone: string;
  busy: Interval[];
  durationMin: number;
  /** Slots start on this grid of minutes after the hour in the working zone (:00, :30 for 30). */
  stepMin: number;
  /** No slot starts before this. */
  now: Date;
}

/** The bookable slots of a day, in order. */
export function freeSlots(q: SlotQuery): Interval[] {
  const day = DateTime.fromISO(q.date, { zone: q.timezone }).startOf('day');
  const from = new Date(Math.max(day.toJSDate().getTime(), q.now.getTime()));
  const to = day.plus({ days: 1 }).startOf('day').toJSDate();
  if (from >= to) return [];
  const free = subtract(workingIntervals(q.hours, q.workingZone, from, to), q.busy);
  const stepMs = q.stepMin * 60_000;
  const durationMs = q.durationMin * 60_000;
  const slots: Interval[] = [];
  for (const f of free) {
    // The first grid point at or after the free time, counted from its hour in the working zone.
    const hour = DateTime.fromJSDate(f.start, { zone: q.workingZone }).startOf('hour').toJSDate().getTime();
    let start = hour + Math.ceil((f.start.getTime() - hour) / stepMs) * stepMs;
    for (; start + durationMs <= f.end.getTime(); start += stepMs) slots.push({ start: new Date(start), end: new Date(start + durationMs) });
  }
  return slots;
}
