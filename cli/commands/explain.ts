import { type Command } from 'commander';
import { z } from 'zod';
import { parseFlags, print } from '../flags';
import { formatExplanation, readIncident } from '../incident-view';
import { withTemporalClient } from '../temporal-client';

export function register(program: Command): void {
  program
    .command('explain')
    .description('print the explanation of an incident: trigger, evidence, cause, action, impact, verification')
    .argument('<id>', 'incident (workflow) id')
    .option('--json', 'print JSON')
    .action(async (id: string, raw: unknown) => {
      const f = parseFlags(z.object({ json: z.boolean().default(false) }), raw);
      await withTemporalClient(async (client) => {
        const view = await readIncident(client, id);
        print(f.json, { id, outcome: view.outcome, explanation: view.explanation }, () => `${id}\n${formatExplanation(view.explanation)}`);
      });
    });
}
