/**
 * Regenerates `sentinel/telemetry.schema.json` from the zod schema:
 *   npx tsx sentinel/write-schema.ts
 * `test/sentinel/telemetry.test.ts` fails while the committed file is out of date.
 */
import fs from 'node:fs';
import path from 'node:path';
import { telemetryJsonSchema } from './telemetry';

export const TELEMETRY_SCHEMA_FILE = path.join(__dirname, 'telemetry.schema.json');

export function renderTelemetrySchema(): string {
  return `${JSON.stringify(telemetryJsonSchema(), null, 2)}\n`;
}

if (require.main === module) {
  fs.writeFileSync(TELEMETRY_SCHEMA_FILE, renderTelemetrySchema());
  process.stdout.write(`wrote ${TELEMETRY_SCHEMA_FILE}\n`);
}
