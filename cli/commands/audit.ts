import fs from 'node:fs';
import { type Command } from 'commander';
import { ERROR_CODES, HomeostatError } from '../../common/errors';
import { redactUrl } from '../../common/redact-url';
import { defaultKnowledgeDbPath, openKnowledgeBaseAt } from '../../knowledge/open';
import { isPostgresUrl } from '../../knowledge/postgres';
import { anchorPublicKeyFromFile, verifyAgainstAnchors } from '../../knowledge/audit-anchor';
import { anchorChain, anchorKeyFile, TemporalAnchorStore } from '../../workers/audit-anchor';
import { withTemporalClient } from '../temporal-client';

interface AuditOptions {
  db?: string;
  json: boolean;
  anchors: boolean;
  anchorKey?: string;
}

export function register(program: Command): void {
  const audit = program.command('audit').description('the hash-chained audit log in the knowledge base');
  audit
    .command('verify')
    .description('check every row of the audit chain; names the first broken row')
    .option('--db <path>', 'knowledge base file or postgres:// URL (default: $HOMEOSTAT_KB or <state dir>/knowledge.db)')
    .option('--json', 'print a JSON object instead of text', false)
    .option('--anchor-key <file>', 'Ed25519 public (or private) key the worker signs anchors with (default HOMEOSTAT_AUDIT_ANCHOR_KEY_FILE or <state dir>/audit-anchor.key)')
    .option('--no-anchors', 'check the chain only, not against the anchors in Temporal')
    .action(async (opts: AuditOptions) => {
      const location = opts.db ?? defaultKnowledgeDbPath();
      const postgres = isPostgresUrl(location);
      const file = postgres ? redactUrl(location) : location;
      // Verifying must not create an empty database and call it valid.
      if (!postgres && !fs.existsSync(location)) throw new HomeostatError('HS_NOT_FOUND', `no knowledge base at ${file}`);
      const kb = await openKnowledgeBaseAt(location);
      try {
        const chainResult = await kb.verifyAuditChain();
        const keyFile = opts.anchorKey ?? anchorKeyFile();
        let result: { ok: boolean; firstBrokenRow?: number; reason?: string; rows: number; [k: string]: unknown } = { ...chainResult };
        if (opts.anchors && keyFile) {
          const anchored = await withTemporalClient(async (client) => verifyAgainstAnchors(kb, await new TemporalAnchorStore(client, anchorChain()).readAll(), [anchorPublicKeyFromFile(keyFile)]));
          // The first bad row of either check; a cut tail shows only against the anchors.
          const first = [chainResult, anchored].filter((r) => !r.ok).sort((a, b) => (a.firstBrokenRow ?? Infinity) - (b.firstBrokenRow ?? Infinity))[0];
          result = { ...(first ?? chainResult), ok: chainResult.ok && anchored.ok, rows: chainResult.rows, anchors: anchored.anchors, anchoredHead: anchored.anchoredHead, badSignatures: anchored.badSignatures };
        } else if (opts.anchors && !opts.json) process.stderr.write('audit anchors not checked: no anchor key (--anchor-key or HOMEOSTAT_AUDIT_ANCHOR_KEY_FILE)\n');
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ db: file, ...result })}\n`);
        } else if (result.ok) {
          process.stdout.write(`audit chain ok: ${result.rows} row(s) verified in ${file}\n`);
        } else {
          process.stderr.write(`audit chain BROKEN at row ${result.firstBrokenRow ?? '?'}: ${result.reason}\n`);
        }
        if (!result.ok) process.exitCode = ERROR_CODES.HS_INTEGRITY.exitCode;
      } finally {
        await kb.close();
      }
    });
}
