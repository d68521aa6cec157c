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
    prometheus: z.boolean().optional(),
    mlflow: z.boolean().optional(),
    postgres: z.boolean().optional(),
    temporalServer: z.boolean().optional(),
    helm: z.boolean().optional(),
    kubernetes: z.boolean().optional(),
    flink: z.boolean().optional(),
  })
  .strict();

/**
 * `homeostat provision [--temporal] [--test-server] [--kafka] [--prometheus] [--mlflow]`: the
 * first three when none is named (Prometheus and MLflow only on request: MLflow is a large pip install).
 */
export function register(program: Command): void {
  program
    .command('provision')
    .description('build or fetch the local services (Temporal CLI, time-skipping test server, Kafka, PostgreSQL, Temporal server, Helm, Kubernetes) into the cache')
    .option('--temporal', 'the Temporal CLI (dev server), built with go install')
    .option('--test-server', 'the Temporal time-skipping test server, from Maven Central')
    .option('--kafka', 'the Kafka broker, from Maven Central')
    .option('--prometheus', 'Prometheus and Alertmanager, from Debian\'s packages')
    .option('--mlflow', 'MLflow, from PyPI into a cached virtual environment')
    .option('--postgres', 'PostgreSQL, from Debian packages (apt-get when missing)')
    .option('--temporal-server', 'the real Temporal server, temporal-sql-tool and the Web UI server, built with go install')
    .option('--helm', 'Helm (built with go install) and the Kubernetes OpenAPI schema')
    .option('--kubernetes', 'the local Kubernetes control plane (etcd, kube-apiserver, controller-manager, scheduler) and kwok, built from the Go module proxy')
    .option('--flink', 'Apache Flink (PyPI wheels), its Kafka connector (Maven Central) and the enrich job jar (mvn package)')
    .action(async (raw: unknown) => {
      const parsed = ProvisionFlags.safeParse(raw);
      if (!parsed.success) {
        throw new HomeostatError('HS_INVALID_INPUT', `provision: ${formatZodIssues(parsed.error).join('; ')}`);
      }
      const flags = parsed.data;
      // Without flags: what the default demo and the dev stack need. The other services are
      // provisioned by the commands and tests that use them, or named here.
      const none = !flags.temporal && !flags.testServer && !flags.kafka && !flags.prometheus && !flags.mlflow && !flags.postgres && !flags.temporalServer && !flags.helm && !flags.kubernetes && !flags.flink;
      const result = await provisionOrExplain({
        temporal: none || flags.temporal === true,
        testServer: none || flags.testServer === true,
        kafka: none || flags.kafka === true,
        prometheus: flags.prometheus === true,
        mlflow: flags.mlflow === true,
        postgres: flags.postgres === true,
        temporalServer: flags.temporalServer === true,
        helm: flags.helm === true,
        kubernetes: flags.kubernetes === true,
        flink: flags.flink === true,
      });
      if (result.temporalCli) process.stdout.write(`temporal CLI:         ${result.temporalCli}\n`);
      if (result.testServer) process.stdout.write(`time-skipping server: ${result.testServer}\n`);
      if (result.kafkaClasspathEntries !== undefined) {
        process.stdout.write(`kafka:                ${result.kafkaClasspathEntries} jars on the classpath\n`);
      }
      if (result.prometheus) process.stdout.write(`prometheus:           ${result.prometheus}\n`);
      if (result.mlflow) process.stdout.write(`mlflow:               ${result.mlflow}\n`);
      if (result.postgresBinDir) process.stdout.write(`postgresql:           ${result.postgresBinDir}\n`);
      if (result.temporalServer) process.stdout.write(`temporal server:      ${result.temporalServer}\n`);
      if (result.helm) process.stdout.write(`helm:                 ${result.helm}\n`);
      if (result.kubernetes) process.stdout.write(`kubernetes:           ${result.kubernetes}\n`);
      if (result.flink) process.stdout.write(`flink:                ${result.flink}\n`);
    });
}
