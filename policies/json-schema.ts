/**
 * Writes (or checks) policies/policy.schema.json, the editor schema generated from the zod
 * schema. `npx tsx policies/json-schema.ts` regenerates it; `--check` exits 1 when it is stale.
 * A test runs the check, so the committed file never drifts from the code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { policyJsonSchema } from './schema';

export const POLICY_SCHEMA_PATH = path.join(__dirname, 'policy.schema.json');

export function renderPolicyJsonSchema(): string {
  const schema = {
    ...policyJsonSchema(),
    title: 'Homeostat policy file',
    description: 'Pipelines, allowed repairs and guard rails for Homeostat. Generated from policies/schema.ts.',
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** True when the file on disk matches what the code generates. */
export function policyJsonSchemaIsCurrent(file = POLICY_SCHEMA_PATH): boolean {
  return fs.existsSync(file) && fs.readFileSync(file, 'utf8') === renderPolicyJsonSchema();
}

if (require.main === module) {
  if (process.argv.includes('--check')) {
    if (!policyJsonSchemaIsCurrent()) {
      process.stderr.write(`${POLICY_SCHEMA_PATH} is stale: run npx tsx policies/json-schema.ts\n`);
      process.exit(1);
    }
  } else {
    fs.writeFileSync(POLICY_SCHEMA_PATH, renderPolicyJsonSchema());
    process.stdout.write(`wrote ${POLICY_SCHEMA_PATH}\n`);
  }
}
