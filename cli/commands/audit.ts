import fs from 'node:fs';
import { type Command } from 'commander';
import { ERROR_CODES, HomeostatError } from '../../common/errors';
import { redactUrl } from '../../common/redact-url';
import { defaultKnowledgeDbPath, openKnowledgeBaseAt } from '../../knowledge/open';
import { isPostgresUrl } from '../../knowledge/postgres';

interface AuditOptions {
  db?: string;
  json: boolean;
}

export function register(program: Command): void {
  const audit = program.command('audit').description('the hash-chained audit log in the knowledge base');
  audit
    .command('verify')
    .description('check every row of the audit chain; names the first broken row')
    .option('--db <path>', 'knowledge base file or postgres:// URL (default: $HOMEOSTAT_KB or <state dir>/knowledge.db)')
    .option('--json', 'print a JSON object instead of text', false)
    .action(async (opts: AuditOptions) => {
      const location = opts.db ?? defaultKnowledgeDbPath();
      const postgres = isPostgresUrl(location);
      const file = postgres ? redactUrl(location) : location;
      // Verifying must not create an empty database and call it valid.
      if (!postgres && !fs.existsSync(location)) throw new HomeostatError('HS_NOT_FOUND', `no knowledge base at ${file}`);
      const kb = await openKnowledgeBaseAt(location);
      try {
        const result = await kb.verifyAuditChain();
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ db: file, ...result })}\n`);
        } else if (result.ok) {
          process.stdout.write(`audit chain ok: ${result.rows} row(s) verified in ${file}\n`);
        } else {
          process.stderr.write(`audit chain BROKEN at row ${result.firstBrokenRow}: ${result.reason}\n`);
        }
        if (!result.ok) process.exitCode = ERROR_CODES.HS_INTEGRITY.exitCode;
      } finally {
        await kb.close();
      }
    });
}
