import fs from 'node:fs';
import { type Command } from 'commander';
import { HomeostatError } from '../../common/errors';
import { autonomyReport, formatAutonomy } from '../../knowledge/autonomy';
import { defaultKnowledgeDbPath, openKnowledgeBaseAt } from '../../knowledge/open';
import { isPostgresUrl } from '../../knowledge/postgres';
import { loadPolicyFile } from '../../policies/load';
import { DEFAULT_POLICY_FILE } from '../../workers/activity-deps';

interface AutonomyOptions {
  pipeline?: string;
  db?: string;
  policy?: string;
  json: boolean;
}

export function register(program: Command): void {
  program
    .command('autonomy')
    .description('progressive autonomy per fault class: mode, cases, precision, last promotion or demotion and why')
    .option('--pipeline <name>', 'only this pipeline')
    .option('--db <path>', 'knowledge base file or postgres:// URL (default: $HOMEOSTAT_KB or <state dir>/knowledge.db)')
    .option('--policy <file>', 'policy file (default: $HOMEOSTAT_POLICY or the bundled demo policy)')
    .option('--json', 'print JSON instead of a table', false)
    .action(async (opts: AutonomyOptions) => {
      const location = opts.db ?? defaultKnowledgeDbPath();
      // Reporting must not create an empty knowledge base and report on it.
      if (!isPostgresUrl(location) && !fs.existsSync(location)) throw new HomeostatError('HS_NOT_FOUND', `no knowledge base at ${location}`);
      const policy = loadPolicyFile(opts.policy ?? process.env.HOMEOSTAT_POLICY ?? DEFAULT_POLICY_FILE);
      if (opts.pipeline && !policy.pipelines.some((p) => p.name === opts.pipeline)) throw new HomeostatError('HS_NOT_FOUND', `pipeline "${opts.pipeline}" is not in the policy`);
      const kb = await openKnowledgeBaseAt(location);
      try {
        const rows = await autonomyReport(kb, policy, opts.pipeline);
        process.stdout.write(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : `${formatAutonomy(rows)}\n`);
      } finally {
        await kb.close();
      }
    });
}
