import { cronError, cronMatches, inCronWindow, parseCron } from '../../policies/cron';

const at = (iso: string) => Date.parse(iso);

describe('cron freeze windows (UTC)', () => {
  it('matches minutes, hours, ranges, steps and lists', () => {
    const s = parseCron('*/15 9-17 * * 1-5');
    expect(cronMatches(s, at('2026-06-10T09:30:00Z'))).toBe(true); // Wednesday
    expect(cronMatches(s, at('2026-06-10T09:31:00Z'))).toBe(false);
    expect(cronMatches(s, at('2026-06-13T09:30:00Z'))).toBe(false); // Saturday
    expect(cronMatches(parseCron('0 0 1,15 * *'), at('2026-06-15T00:00:00Z'))).toBe(true);
    expect(cronMatches(parseCron('0 0 * * 7'), at('2026-06-14T00:00:00Z'))).toBe(true); // 7 = Sunday
  });

  it('ORs day-of-month and day-of-week when both are restricted, as cron does', () => {
    const s = parseCron('0 12 1 * 3');
    expect(cronMatches(s, at('2026-06-10T12:00:00Z'))).toBe(true); // a Wednesday, not the 1st
    expect(cronMatches(s, at('2026-07-01T12:00:00Z'))).toBe(true); // the 1st
    expect(cronMatches(s, at('2026-06-11T12:00:00Z'))).toBe(false);
  });

  it('is inside a window for its duration after each firing', () => {
    const fridayEvening = parseCron('0 18 * * 5');
    expect(inCronWindow(fridayEvening, 60 * 3_600_000, at('2026-06-13T10:00:00Z'))).toBe(true); // Saturday
    // [start, start + duration): Friday 18:00 + 60 h closes at Monday 06:00.
    expect(inCronWindow(fridayEvening, 60 * 3_600_000, at('2026-06-15T05:59:00Z'))).toBe(true);
    expect(inCronWindow(fridayEvening, 60 * 3_600_000, at('2026-06-15T06:00:00Z'))).toBe(false);
    expect(inCronWindow(fridayEvening, 60 * 3_600_000, at('2026-06-12T18:00:00Z'))).toBe(true);
    expect(inCronWindow(fridayEvening, 60 * 3_600_000, at('2026-06-12T17:59:00Z'))).toBe(false);
  });

  it('explains bad expressions', () => {
    expect(cronError('* * *')).toMatch(/expected 5 fields/);
    expect(cronError('0 24 * * *')).toMatch(/hour: "24" is outside 0-23/);
    expect(cronError('*/0 * * * *')).toMatch(/bad step/);
    expect(cronError('0 0 * * *')).toBeUndefined();
  });
});
