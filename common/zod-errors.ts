import { type ZodError } from 'zod';

/** Renders every zod issue as `path: message` so bad input names the field and the rule it broke. */
export function formatZodIssues(error: ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
}
