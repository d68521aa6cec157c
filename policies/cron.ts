/**
 * A five-field cron matcher (minute hour day-of-month month day-of-week), evaluated in UTC.
 * Enough for recurring change freezes ("every Friday from 18:00 for 60h"); no names, no seconds.
 * Pure: safe to import from workflow code.
 */

interface FieldSpec {
  name: string;
  min: number;
  max: number;
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  // 7 is accepted as Sunday, as in most crons.
  { name: 'day-of-week', min: 0, max: 7 },
];

export interface CronSchedule {
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  daysOfMonth: ReadonlySet<number>;
  months: ReadonlySet<number>;
  daysOfWeek: ReadonlySet<number>;
  /** Classic cron: when both day fields are restricted, either may match. */
  domRestricted: boolean;
  dowRestricted: boolean;
}

function parseField(text: string, spec: FieldSpec): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [rangeText, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`${spec.name}: bad step "${part}"`);
    let lo: number;
    let hi: number;
    if (rangeText === '*') {
      lo = spec.min;
      hi = spec.max;
    } else if (rangeText !== undefined && /^\d+-\d+$/.test(rangeText)) {
      [lo, hi] = rangeText.split('-').map(Number) as [number, number];
    } else if (rangeText !== undefined && /^\d+$/.test(rangeText)) {
      lo = Number(rangeText);
      hi = stepText === undefined ? lo : spec.max;
    } else {
      throw new Error(`${spec.name}: cannot read "${part}"`);
    }
    if (lo < spec.min || hi > spec.max || lo > hi) {
      throw new Error(`${spec.name}: "${part}" is outside ${spec.min}-${spec.max}`);
    }
    for (let v = lo; v <= hi; v += step) values.add(spec.name === 'day-of-week' && v === 7 ? 0 : v);
  }
  return values;
}

/** Parses a five-field expression; throws an Error naming the bad field. */
export function parseCron(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`);
  const sets = parts.map((p, i) => parseField(p, FIELDS[i] as FieldSpec));
  return {
    minutes: sets[0] as Set<number>,
    hours: sets[1] as Set<number>,
    daysOfMonth: sets[2] as Set<number>,
    months: sets[3] as Set<number>,
    daysOfWeek: sets[4] as Set<number>,
    domRestricted: parts[2] !== '*',
    dowRestricted: parts[4] !== '*',
  };
}

/** The error message for a bad expression, or undefined when it parses. */
export function cronError(expression: string): string | undefined {
  try {
    parseCron(expression);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** True when the UTC minute containing `epochMs` is one the schedule fires on. */
export function cronMatches(schedule: CronSchedule, epochMs: number): boolean {
  const d = new Date(epochMs);
  if (!schedule.minutes.has(d.getUTCMinutes()) || !schedule.hours.has(d.getUTCHours())) return false;
  if (!schedule.months.has(d.getUTCMonth() + 1)) return false;
  const dom = schedule.daysOfMonth.has(d.getUTCDate());
  const dow = schedule.daysOfWeek.has(d.getUTCDay());
  if (schedule.domRestricted && schedule.dowRestricted) return dom || dow;
  return dom && dow;
}

const MINUTE = 60_000;
/** Longest recurring window we scan back over; a policy cannot declare a longer one. */
export const MAX_CRON_WINDOW_MS = 31 * 24 * 60 * MINUTE;

/**
 * True when `now` lies inside a window that opened at a cron firing within the last `durationMs`.
 * Scans minute by minute backwards: at most ~45k steps for the longest allowed window.
 */
export function inCronWindow(schedule: CronSchedule, durationMs: number, now: number): boolean {
  const span = Math.min(durationMs, MAX_CRON_WINDOW_MS);
  const startMinute = Math.floor(now / MINUTE) * MINUTE;
  for (let t = startMinute; t > now - span; t -= MINUTE) {
    if (cronMatches(schedule, t)) return true;
  }
  return false;
}
