import { type z } from 'zod';
import { HomeostatError } from '../common/errors';
import { formatZodIssues } from '../common/zod-errors';

/** Validates parsed CLI flags; an error names each flag and the rule it broke. */
export function parseFlags<T extends z.ZodType>(schema: T, raw: unknown): z.infer<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = formatZodIssues(parsed.error).map((i) => `--${i.replace(/^(\w+)/, (m) => m.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`))}`);
    throw new HomeostatError('HS_INVALID_INPUT', `invalid options: ${issues.join('; ')}`);
  }
  return parsed.data;
}

export function print(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}
