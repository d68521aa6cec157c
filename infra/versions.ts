/**
 * Every pinned version of a provisioned service, in one place. Bumping one of these changes the
 * cache directory name, so an old cache is never mistaken for a new one.
 */
export const VERSIONS = {
  temporalCli: '1.5.1',
  /** Time-skipping test server, published with the Java SDK. */
  temporalTestServer: '1.38.0',
  kafka: '3.9.2',
  /** Kafka 3.9 logs through SLF4J 1.7 and reload4j (the log4j 1 fork it ships with). */
  slf4j: '1.7.36',
  reload4j: '1.2.25',
  /** Debian bookworm's prometheus package (2.42.0+ds); checked as major.minor. */
  prometheus: '2.42',
  /** Debian bookworm's prometheus-alertmanager package (0.25.0); checked as major.minor. */
  alertmanager: '0.25',
  /** MLflow tracking server and model registry, from PyPI into a cached virtual environment. */
  mlflow: '3.17.2',
} as const;
