/**
 * The Helm chart (deploy/helm/homeostat), rendered by a real `helm template` (Helm built from the
 * Go module proxy) and validated, object by object, against the OpenAPI schema of the pinned
 * Kubernetes version — strictly: unknown fields are errors. The probes it declares are checked
 * against the real processes: `homeostat worker` answers /livez and /readyz, `homeostat
 * sentinel` answers /health and /metrics.
 *
 * Server-side dry-run against a real API server is in helm-dry-run.ts (run it with
 * HOMEOSTAT_KUBE_APISERVER set; see that file).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderChart } from '../../infra/helm';
import { KubeSchemaValidator } from '../../infra/kube-openapi';
import { freePorts } from '../../infra/ports';
import { startHealthEndpoints } from '../../workers/health-server';
import { testTemporalAddress } from '../support/services';

const BIN = path.resolve(__dirname, '../../bin/homeostat.js');
const TOKEN = 'helm-test-token-0123456789abcdef';

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

let validator: KubeSchemaValidator;
let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-helm-'));
  validator = await KubeSchemaValidator.load();
  // Builds Helm on a cold cache (minutes); then it is cached.
  await renderChart();
}, 3_600_000);
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function expectValid(manifests: Manifest[]): void {
  const problems = manifests.map((m) => ({ object: `${m.kind}/${m.metadata.name}`, errors: validator.validate(m) })).filter((p) => p.errors.length > 0);
  expect(problems).toEqual([]);
}

const byKind = (ms: Manifest[], kind: string): Manifest[] => ms.filter((m) => m.kind === kind);
const deployment = (ms: Manifest[], suffix: string): Manifest => {
  const d = byKind(ms, 'Deployment').find((m) => m.metadata.name.endsWith(suffix));
  if (!d) throw new Error(`no ${suffix} Deployment rendered`);
  return d;
};
type Container = { env: { name: string; value?: string; valueFrom?: unknown }[]; readinessProbe: { httpGet: { path: string; port: string } }; livenessProbe: { httpGet: { path: string; port: string } }; ports: { name: string; containerPort: number }[]; resources: { requests: Record<string, string> }; args: string[] };
type PodSpec = { containers: Container[]; serviceAccountName: string; automountServiceAccountToken: boolean; volumes: { name: string; secret?: { secretName: string } }[] };
const podSpec = (d: Manifest): PodSpec => (d as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;

describe('Helm chart', () => {
  it('renders with defaults into valid Kubernetes objects: workloads, policy ConfigMap, PDBs, ServiceAccount, a namespaced Role and a node-cordon ClusterRole', async () => {
    const ms = (await renderChart()) as Manifest[];
    expectValid(ms);
    expect(ms.map((m) => m.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'Deployment', 'PodDisruptionBudget', 'PodDisruptionBudget', 'Role', 'Role', 'RoleBinding', 'RoleBinding', 'Service', 'ServiceAccount']);
    // Minimal RBAC: exactly what the Kubernetes binding calls (test/bindings/orchestration-kubernetes.test.ts
    // runs the binding with a token bound to exactly these rules).
    expect((byKind(ms, 'Role')[0] as unknown as { rules: unknown[] }).rules).toEqual([
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'patch', 'update'] },
      { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get', 'patch'] },
      { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['list'] },
      { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['list', 'patch'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list', 'delete'] },
      { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
    ]);
    expect((byKind(ms, 'ClusterRole')[0] as unknown as { rules: unknown[] }).rules).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] }]);
    // The Kubernetes watcher beside the sentinel (sentinel/sources/kubernetes-watch.ts) reads, and nothing more.
    const watch = byKind(ms, 'Role').find((r) => r.metadata.name.endsWith('-watch')) as unknown as { rules: unknown[] };
    expect(watch.rules).toEqual([
      { apiGroups: [''], resources: ['pods', 'events'], verbs: ['list', 'watch'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list', 'watch'] },
    ]);
    const worker = podSpec(deployment(ms, '-worker'));
    const sentinel = podSpec(deployment(ms, '-sentinel'));
    expect(sentinel.automountServiceAccountToken).toBe(false);
    expect(worker.containers[0]!.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(worker.containers[0]!.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'health' });
    expect(sentinel.containers[0]!.readinessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(sentinel.containers[0]!.livenessProbe.httpGet).toEqual({ path: '/metrics', port: 'http' });
    // Beyond loopback the sentinel needs its bearer tokens (by Secret reference); only the probed
    // endpoints are opened, explicitly.
    const senv = sentinel.containers[0]!.env;
    expect(senv.find((e) => e.name === 'HOMEOSTAT_SENTINEL_HTTP_TOKENS')).toEqual({ name: 'HOMEOSTAT_SENTINEL_HTTP_TOKENS', valueFrom: { secretKeyRef: { name: 'homeostat-sentinel-tokens', key: 'tokens' } } });
    expect(senv.find((e) => e.name === 'HOMEOSTAT_SENTINEL_HTTP_OPEN')?.value).toBe('health,metrics');
    for (const c of [worker.containers[0]!, sentinel.containers[0]!]) {
      expect(Object.keys(c.resources.requests).sort()).toEqual(['cpu', 'memory']);
      // The knowledge-base URL holds a password: only ever by reference.
      expect(c.env.find((e) => e.name === 'HOMEOSTAT_KB')).toEqual({ name: 'HOMEOSTAT_KB', valueFrom: { secretKeyRef: { name: 'homeostat-kb', key: 'url' } } });
    }
    const policy = byKind(ms, 'ConfigMap')[0] as unknown as { data: Record<string, string> };
    expect(policy.data['policy.yaml']).toContain('pipelines: []');
    const pdbs = byKind(ms, 'PodDisruptionBudget') as unknown as { spec: Record<string, unknown> }[];
    expect(pdbs.map((p) => p.spec.minAvailable ?? p.spec.maxUnavailable)).toEqual([1, 1]);
  });

  it('wires Temporal TLS, an API key and the escalation webhook by Secret reference, into another pipeline namespace', async () => {
    const values = path.join(dir, 'values.yaml');
    fs.writeFileSync(
      values,
      [
        'temporal:',
        '  address: my-ns.a1b2c.tmprl.cloud:7233',
        '  namespace: my-ns.a1b2c',
        '  tls: { enabled: true, secretName: temporal-client, serverName: my-ns.a1b2c.tmprl.cloud }',
        '  apiKey: { secretName: temporal-api, key: key }',
        'kafka: { brokers: "b1:9092,b2:9092" }',
        'escalationWebhook: { secretName: pager, key: url }',
        'worker: { replicas: 5, pipelineNamespace: pipelines }',
        'policy: { existingConfigMap: my-policy }',
      ].join('\n'),
    );
    const ms = (await renderChart({ release: 'prod', namespace: 'ops', valuesFiles: [values] })) as Manifest[];
    expectValid(ms);
    expect(byKind(ms, 'ConfigMap')).toEqual([]);
    expect(byKind(ms, 'Role')[0]!.metadata.namespace).toBe('pipelines');
    const worker = podSpec(deployment(ms, '-worker'));
    const env = Object.fromEntries(worker.containers[0]!.env.map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      TEMPORAL_ADDRESS: 'my-ns.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'my-ns.a1b2c',
      TEMPORAL_TLS: 'true',
      TEMPORAL_TLS_CERT: '/etc/homeostat/temporal-tls/tls.crt',
      TEMPORAL_TLS_KEY: '/etc/homeostat/temporal-tls/tls.key',
      TEMPORAL_TLS_CA: '/etc/homeostat/temporal-tls/ca.crt',
      TEMPORAL_TLS_SERVER_NAME: 'my-ns.a1b2c.tmprl.cloud',
      TEMPORAL_API_KEY: { secretKeyRef: { name: 'temporal-api', key: 'key' } },
      HOMEOSTAT_ESCALATION_WEBHOOK: { secretKeyRef: { name: 'pager', key: 'url' } },
    });
    expect(worker.volumes).toEqual(expect.arrayContaining([{ name: 'temporal-tls', secret: { secretName: 'temporal-client' } }, { name: 'policy', configMap: { name: 'my-policy' } }]));
    expect(podSpec(deployment(ms, '-sentinel')).containers[0]!.args).toEqual(expect.arrayContaining(['--brokers', 'b1:9092,b2:9092']));
    expect((deployment(ms, '-worker') as unknown as { spec: { replicas: number } }).spec.replicas).toBe(5);
  });

  it('wires Kafka TLS and SASL: CA from a Secret, the password as a mounted file (never an env value)', async () => {
    const values = path.join(dir, 'values-kafka.yaml');
    fs.writeFileSync(
      values,
      [
        'kafka:',
        '  brokers: "b1:9093"',
        '  tls: { enabled: true, secretName: kafka-ca, serverName: kafka.internal }',
        '  sasl: { mechanism: SCRAM-SHA-512, username: homeostat, passwordSecret: { name: kafka-sasl, key: password } }',
      ].join('\n'),
    );
    const ms = (await renderChart({ valuesFiles: [values] })) as Manifest[];
    expectValid(ms);
    const sentinel = podSpec(deployment(ms, '-sentinel'));
    const env = Object.fromEntries(sentinel.containers[0]!.env.map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      HOMEOSTAT_KAFKA_TLS: 'true',
      HOMEOSTAT_KAFKA_TLS_CA: '/etc/homeostat/kafka-tls/ca.crt',
      HOMEOSTAT_KAFKA_TLS_SERVER_NAME: 'kafka.internal',
      HOMEOSTAT_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      HOMEOSTAT_KAFKA_SASL_USERNAME: 'homeostat',
      HOMEOSTAT_KAFKA_SASL_PASSWORD_FILE: '/etc/homeostat/kafka-sasl/password',
    });
    expect(env).not.toHaveProperty('HOMEOSTAT_KAFKA_SASL_PASSWORD');
    expect(env).not.toHaveProperty('HOMEOSTAT_KAFKA_TLS_CERT');
    expect(sentinel.volumes).toEqual(expect.arrayContaining([{ name: 'kafka-tls', secret: { secretName: 'kafka-ca' } }, { name: 'kafka-sasl', secret: { secretName: 'kafka-sasl' } }]));
    await expect(renderChart({ set: { 'kafka.sasl.mechanism': 'PLAIN', 'kafka.sasl.username': 'u' } })).rejects.toThrow(/kafka.sasl.passwordSecret.name is required/);
  });

  it('refuses TLS without the Secret holding the certificates', async () => {
    await expect(renderChart({ set: { 'temporal.tls.enabled': 'true' } })).rejects.toThrow(/temporal.tls.secretName is required/);
  });

  it('has a validator that catches a misspelt field, a missing required field and a wrong type', async () => {
    const [good] = (await renderChart()).filter((m) => m.kind === 'Deployment') as Manifest[];
    const clone = (): Manifest & { spec: { template: { spec: PodSpec & Record<string, unknown> } } } => JSON.parse(JSON.stringify(good)) as never;
    const typo = clone();
    (typo.spec.template.spec.containers[0] as unknown as Record<string, unknown>).readinesProbe = { httpGet: { path: '/readyz', port: 9465 } };
    expect(validator.validate(typo).join('\n')).toMatch(/containers\/0 must NOT have additional properties: readinesProbe/);
    const missing = clone();
    delete (missing.spec.template.spec as Partial<PodSpec>).containers;
    expect(validator.validate(missing).join('\n')).toMatch(/must have required property 'containers'/);
    const wrongType = clone();
    (wrongType.spec as unknown as Record<string, unknown>).replicas = 'three';
    expect(validator.validate(wrongType).join('\n')).toMatch(/\/spec\/replicas must be integer/);
    expect(validator.validate({ apiVersion: 'apps/v1', kind: 'Deploymnet' })).toEqual(['apps/v1 Deploymnet is not a kind of Kubernetes 1.32.13']);
  });
});

describe('the endpoints the probes call', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  function start(args: string[], env: NodeJS.ProcessEnv, ready: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    return new Promise((resolve, reject) => {
      const onData = (c: Buffer): void => {
        out += c.toString('utf8');
        if (out.includes(ready)) resolve(child);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`homeostat ${args[0]} exited (${code}) before it was ready:\n${out}`)));
    });
  }

  function runToExit(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
  }

  it('homeostat worker answers /livez and /readyz, and stops cleanly on SIGTERM', async () => {
    const [port] = await freePorts(1);
    const worker = await start(['worker', '--health-port', String(port), '--task-queue', `helm-probe-${process.pid}`], { TEMPORAL_ADDRESS: testTemporalAddress(), HOMEOSTAT_KB: path.join(dir, 'kb.db') }, 'worker ready');
    const live = await fetch(`http://127.0.0.1:${port}/livez`);
    expect(live.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(await ready.json()).toEqual({ ok: true, checks: [{ name: 'temporal-worker', ok: true }, { name: 'knowledge-base', ok: true }] });
    expect(ready.status).toBe(200);
    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 180_000);

  it('homeostat sentinel answers /health and /metrics on the address the pod listens on', async () => {
    const [port] = await freePorts(1);
    await start(
      ['sentinel', '--log', 'embedded', '--log-file', path.join(dir, 'log.db'), '--db', path.join(dir, 'sentinel.db'), '--no-kb', '--http-port', String(port), '--status', '0'],
      // As the chart sets it: tokens from the Secret, /health and /metrics opened for the probes.
      { TEMPORAL_ADDRESS: testTemporalAddress(), HOMEOSTAT_SENTINEL_HTTP_HOST: '0.0.0.0', HOMEOSTAT_SENTINEL_HTTP_TOKENS: TOKEN, HOMEOSTAT_SENTINEL_HTTP_OPEN: 'health,metrics' },
      'sentinel ready',
    );
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^# HELP/m);
    // The alert webhook is not opened by that: it takes the token.
    const post = (auth?: string) => fetch(`http://127.0.0.1:${port}/alertmanager`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) } });
    expect((await post()).status).toBe(401);
    expect((await post(`Bearer ${TOKEN}`)).status).toBe(400);
  }, 120_000);

  it('homeostat sentinel refuses to listen beyond loopback without a token', async () => {
    const [port] = await freePorts(1);
    const out = await runToExit(
      ['sentinel', '--log', 'embedded', '--log-file', path.join(dir, 'log2.db'), '--db', path.join(dir, 'sentinel2.db'), '--no-kb', '--http-port', String(port), '--status', '0'],
      { TEMPORAL_ADDRESS: testTemporalAddress(), HOMEOSTAT_SENTINEL_HTTP_HOST: '0.0.0.0' },
    );
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without a bearer token/);
  }, 120_000);

  it('a failing readiness check turns /readyz into 503 with the reason; /livez stays 200', async () => {
    const server = await startHealthEndpoints(0, '127.0.0.1', [{ name: 'knowledge-base', check: async () => 'connection refused' }]);
    try {
      const ready = await fetch(`http://127.0.0.1:${server.port}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ ok: false, checks: [{ name: 'knowledge-base', ok: false, reason: 'connection refused' }] });
      expect((await fetch(`http://127.0.0.1:${server.port}/livez`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
