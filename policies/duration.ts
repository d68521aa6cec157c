/**
 * Durations in policy files: a number of milliseconds, or a short string such as `30s`, `5m`,
 * `2h`, `1d`. Humans write the string; the loaded config always carries milliseconds.
 * Pure: safe to import from workflow code.
 */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export const DURATION_PATTERN = '^\\d+(\\.\\d+)?(ms|s|m|h|d)$';
const DURATION_RE = new RegExp(DURATION_PATTERN);

/** Parses `90s` / `5m` / `1.5h` into milliseconds; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_RE.exec(text.trim());
  if (!match) return undefined;
  const unit = match[2] as keyof typeof UNIT_MS;
  const value = Number.parseFloat(text.trim().slice(0, text.trim().length - unit.length));
  return Math.round(value * UNIT_MS[unit]);
}

/** Renders milliseconds with the largest unit that divides them evenly (`300000` → `5m`). */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
