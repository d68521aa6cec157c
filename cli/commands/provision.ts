import { type Command } from 'commander';
import { z } from 'zod';
import { HomeostatError } from '../../common/errors';
import { formatZodIssues } from '../../common/zod-errors';
import { provisionOrExplain } from '../../infra/provision';

const ProvisionFlags = z
  .object({
    temporal: z.boolean().optional(),
    testServer: z.boolean().optional(),
    kafka: z.boolean().optional(),
    postgres: z.boolean().optional(),
    temporalServer: z.boolean().optional(),
    helm: z.boolean().optional(),
  })
  .strict();

/** `homeostat provision [--temporal] [--test-server] [--kafka]`: all three when none is named. */
export function register(program: Command): void {
  program
    .command('provision')
    .description('build or fetch the local services (Temporal CLI, time-skipping test server, Kafka, PostgreSQL, Temporal server, Helm) into the cache')
    .option('--temporal', 'the Temporal CLI (dev server), built with go install')
    .option('--test-server', 'the Temporal time-skipping test server, from Maven Central')
    .option('--kafka', 'the Kafka broker, from Maven Central')
    .option('--postgres', 'PostgreSQL, from Debian packages (apt-get when missing)')
    .option('--temporal-server', 'the real Temporal server, temporal-sql-tool and the Web UI server, built with go install')
    .option('--helm', 'Helm (built with go install) and the Kubernetes OpenAPI schema')
    .action(async (raw: unknown) => {
      const parsed = ProvisionFlags.safeParse(raw);
      if (!parsed.success) {
        throw new HomeostatError('HS_INVALID_INPUT', `provision: ${formatZodIssues(parsed.error).join('; ')}`);
      }
      const flags = parsed.data;
      const none = !flags.temporal && !flags.testServer && !flags.kafka && !flags.postgres && !flags.temporalServer && !flags.helm;
      const result = await provisionOrExplain({
        temporal: none || flags.temporal === true,
        testServer: none || flags.testServer === true,
        kafka: none || flags.kafka === true,
        postgres: none || flags.postgres === true,
        temporalServer: none || flags.temporalServer === true,
        helm: none || flags.helm === true,
      });
      if (result.temporalCli) process.stdout.write(`temporal CLI:         ${result.temporalCli}\n`);
      if (result.testServer) process.stdout.write(`time-skipping server: ${result.testServer}\n`);
      if (result.kafkaClasspathEntries !== undefined) {
        process.stdout.write(`kafka:                ${result.kafkaClasspathEntries} jars on the classpath\n`);
      }
      if (result.postgresBinDir) process.stdout.write(`postgresql:           ${result.postgresBinDir}\n`);
      if (result.temporalServer) process.stdout.write(`temporal server:      ${result.temporalServer}\n`);
      if (result.helm) process.stdout.write(`helm:                 ${result.helm}\n`);
    });
}
