import { workingIntervals, type WorkingHours } from '../availability.ts';

/**
 * When an outbound call may be dialled (pure): inside the calling hours (the tenant's
 * working hours, per weekday) read in the recipient's time zone, within the call's own
 * window if it has one. Wall-clock times are placed by luxon, so a day that changes
 * clocks keeps its hours.
 */
export interface CallWindow {
  /** Not before this instant (a scheduled call). */
  notBefore?: Date | null;
  /** Not at or after this instant: past it the call is not made at all. */
  notAfter?: Date | null;
}

/** How far ahead to look for an allowed moment (calling hours with no day at all never open). */
const HORIZON_DAYS = 8;

/** `now` when a dial is allowed now, else the next moment it is, or null when it never is within the call's window. */
export function nextDialTime(now: Date, zone: string, hours: WorkingHours, window: CallWindow = {}): Date | null {
  const from = new Date(Math.max(now.getTime(), window.notBefore?.getTime() ?? 0));
  const to = new Date(from.getTime() + HORIZON_DAYS * 86_400_000);
  for (const interval of workingIntervals(hours, zone, from, to)) {
    if (interval.end.getTime() <= from.getTime()) continue;
    const at = new Date(Math.max(interval.start.getTime(), from.getTime()));
    if (window.notAfter && at.getTime() >= window.notAfter.getTime()) return null;
    return at;
  }
  return null;
}

/** Whether a dial at `at` is inside the calling hours: checked again right before every dial. */
export const mayDialAt = (at: Date, zone: string, hours: WorkingHours, window: CallWindow = {}): boolean => nextDialTime(at, zone, hours, window)?.getTime() === at.getTime();
