import path from 'node:path';
import { type Command } from 'commander';
import { z } from 'zod';
import { localKeysFile, stateDir } from '../../common/paths';
import { defaultKnowledgeDbPath } from '../../knowledge/open';
import { redactUrl } from '../../common/redact-url';
import { VERSIONS } from '../../infra/versions';
import { startDevServices } from '../../workers/dev-services';
import { startLocalEnv } from '../../workers/local-env';
import { onShutdownSignal } from '../../workers/stack';
import { parseFlags } from '../flags';

const DevFlags = z.object({
  port: z.coerce.number().int().min(1).max(65535).default(7233),
  uiPort: z.coerce.number().int().min(1).max(65535).default(8233),
  pipeline: z.boolean().default(true),
  kafka: z.boolean().default(false),
  temporal: z.enum(['dev', 'server']).default('dev'),
  kb: z.enum(['sqlite', 'postgres']).default('sqlite'),
});

export function register(program: Command): void {
  program
    .command('dev')
    .description('run the local stack in the foreground: Temporal dev server + Web UI, search attributes, a worker, the live demo pipeline and its sentinel')
    .option('--port <port>', 'Temporal gRPC port', '7233')
    .option('--ui-port <port>', 'Web UI port', '8233')
    .option('--no-pipeline', 'no live pipeline or sentinel: the worker only logs, waits and escalates')
    .option('--kafka', 'run the pipeline on a local Kafka broker')
    .option('--temporal <dev|server>', 'dev: the Temporal CLI dev server; server: the real Temporal server on PostgreSQL (with its Web UI)', 'dev')
    .option('--kb <sqlite|postgres>', 'knowledge base: a SQLite file, or a local PostgreSQL (shared by every worker and sentinel)', 'sqlite')
    .action(async (raw: unknown) => {
      const f = parseFlags(DevFlags, raw);
      const services = await startDevServices({ temporal: f.temporal, kb: f.kb, stateDir: stateDir(), port: f.port, uiPort: f.uiPort });
      const env = await startLocalEnv({
        dir: path.join(stateDir(), 'dev'),
        // Where `homeostat audit verify` looks by default: the dev stack shares the CLI's knowledge base.
        anchorKeyFile: process.env.HOMEOSTAT_AUDIT_ANCHOR_KEY_FILE ?? path.join(stateDir(), 'audit-anchor.key'),
        keysFile: localKeysFile(),
        kbPath: services.kbPath ?? defaultKnowledgeDbPath(),
        port: f.port,
        uiPort: f.uiPort,
        pipeline: f.pipeline,
        kafka: f.kafka,
        ...(services.temporal ? { temporal: services.temporal } : {}),
      }).catch(async (err: unknown) => {
        await services.stop();
        throw err;
      });
      onShutdownSignal(async () => {
        await env.stop();
        await services.stop();
      });
      const ui = env.stack.temporal.uiUrl;
      const ns = env.stack.temporal.namespace;
      process.stdout.write(
        [
          '',
          'Homeostat is running.',
          `  Temporal      ${env.stack.temporal.address} (namespace ${ns}; ${f.temporal === 'server' ? `Temporal server ${VERSIONS.temporalServer} on PostgreSQL` : 'dev server'})`,
          `  Knowledge     ${services.kbPath ? redactUrl(services.kbPath) : defaultKnowledgeDbPath()}`,
          `  Web UI        ${ui ?? '(not started here: TEMPORAL_ADDRESS points at an existing server)'}`,
          ...(ui ? [`  Incidents     ${ui}/namespaces/${ns}/workflows?query=${encodeURIComponent("WorkflowType='incidentWorkflow'")}`] : []),
          ...(env.healthUrl
            ? [
                `  Sentinel      ${env.healthUrl}/health/demo  (metrics: ${env.healthUrl}/metrics)`,
                `                bearer token in ${env.sentinelTokenFile}: curl -H "Authorization: Bearer $(cat ${env.sentinelTokenFile})" ${env.healthUrl}/health/demo`,
              ]
            : []),
          ...(env.pipeline ? [`  Pipeline      demo: source → enrich → score → sink (files in ${env.pipeline.dir})`] : []),
          '  Try           npx homeostat incidents open --pipeline demo --component sink --fault lag --require-approval',
          'Press Ctrl-C to stop.',
          '',
        ].join('\n'),
      );
      await env.stack.running;
    });
}
