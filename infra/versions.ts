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
  /** PostgreSQL major version: Debian's `postgresql-<major>` package (bookworm ships 15). */
  postgres: '15',
  /** Temporal server and its SQL schema tool, from the Go module proxy (go.temporal.io/server). */
  temporalServer: '1.29.1',
  /** Temporal Web UI server (embeds the UI), from the Go module proxy. */
  temporalUi: '2.42.1',
  /** Kubernetes whose OpenAPI schema the Helm chart is validated against (k8s.io/kubernetes module). */
  kubernetesOpenApi: '1.32.13',
  /** Helm, built from the Go module proxy (helm.sh/helm/v3/cmd/helm) to render the chart. */
  helm: '3.22.0',
  /** The local control plane (kube-apiserver, kube-controller-manager, kube-scheduler), built from
   *  k8s.io/kubernetes through the wrapper module in infra/kube-build (keep its go.mod in step). */
  kubernetes: '1.32.13',
  /** etcd for the control plane: go.etcd.io/etcd/server/v3, the v3.5 line Kubernetes 1.32 requires. */
  etcd: '3.5.16',
  /** kwok plays the kubelet for fake nodes (sigs.k8s.io/kwok/cmd/kwok). */
  kwok: '0.8.0',
  /**
   * Apache Flink: the distribution from PyPI (`apache-flink-libraries` carries lib/, `apache-flink`
   * carries bin/ and conf/), run on Java 17 as one JobManager and one TaskManager.
   */
  flink: '2.2.1',
  /** The Kafka connector built for Flink 2.2 (`org.apache.flink:flink-connector-kafka`), from Maven Central. */
  flinkKafkaConnector: '5.0.0-2.2',
} as const;
