/**
 * The Kubernetes watcher (sentinel/sources/kubernetes-watch.ts) on the run's real API server with
 * kwok nodes (infra/kwok-stages.yaml plays the pod lifecycles), authenticated as the chart's
 * ServiceAccount with exactly the chart's RBAC: the faults a kubelet and the controllers report
 * become valid telemetry event records for the right component; a restarted watcher resumes from
 * the resourceVersions it reached (no re-list, nothing re-sent). (The re-list after a 410 is not
 * provoked here: this API server serves even resourceVersion 1 from its watch cache after an etcd
 * compaction.)
 * The watcher runs in a child process (kubernetes-watch.driver.ts): the client library is ESM-only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { renderChart } from '../../infra/helm';
import { writeTokenKubeconfig, type KubeCluster } from '../../infra/kubernetes';
import { telemetryRecord, type TelemetryRecord } from '../../sentinel/telemetry';
import { cleanUp, ownNodes, poolPlacement, sharedKubeCluster, testFileDir, testNamespace } from '../support/kube';
import { until } from '../support/until';

const DRIVER = path.join(__dirname, 'kubernetes-watch.driver.ts');
const PIPELINE = 'clickstream';
/** Deployment → component, as a policy's orchestration block maps them. */
const COMPONENTS = { 'enrich-v2': 'enrich' };

let cluster: KubeCluster;
let NS: string;
let kubeconfig: string;
let files: string;
let pool: string[] = [];
const watchers: ChildProcess[] = [];

type EventRecord = Extract<TelemetryRecord, { kind: 'event' }>;
type State = { resourceVersions: Record<string, string>; stats: { relists: Record<string, number>; watches: Record<string, number>; records: number } };

interface Watcher {
  records: EventRecord[];
  state(): Promise<State>;
  stop(): Promise<void>;
}

async function api(method: string, p: string, body?: unknown, contentType?: string): Promise<unknown> {
  const res = await cluster.request(method, p, body, contentType);
  if (res.status >= 300) throw new Error(`${method} ${p}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

function deployment(name: string, replicas: number, opts: { image?: string; labels?: Record<string, string>; pod?: Record<string, unknown>; spec?: Record<string, unknown> } = {}): unknown {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
    spec: {
      replicas, selector: { matchLabels: { app: name } }, ...opts.spec,
      template: { metadata: { labels: { app: name, ...opts.labels } }, spec: { containers: [{ name: 'main', image: opts.image ?? 'registry.example/homeostat/stage:1' }], ...opts.pod } },
    },
  };
}

/** Starts the watcher as the chart's ServiceAccount; resolves once its watches are open. */
function startWatcher(resumeFrom?: Record<string, string>): Promise<Watcher> {
  const args = ['--require', require.resolve('tsx/cjs'), DRIVER, kubeconfig, NS, PIPELINE, JSON.stringify(COMPONENTS), ...(resumeFrom ? [JSON.stringify(resumeFrom)] : [])];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  watchers.push(child);
  const records: EventRecord[] = [];
  const states: State[] = [];
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (c: Buffer) => {
      buffer += c.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines.filter(Boolean)) {
        const msg = JSON.parse(line) as { record?: unknown; started?: boolean; state?: State };
        // Every record must be valid telemetry, as the sentinel would check it.
        if (msg.record) records.push(telemetryRecord.parse(msg.record) as EventRecord);
        if (msg.state) states.push(msg.state);
        if (msg.started) {
          resolve({
            records,
            async state() {
              const n = states.length;
              child.stdin!.write('state\n');
              return until('the watcher\'s state', async () => states[n]);
            },
            async stop() {
              const exited = new Promise((r) => child.once('exit', r));
              child.stdin!.end();
              await exited;
            },
          });
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`watcher exited ${code}: ${stderr}`)));
  });
}

const recordFor = (w: Watcher, component: string, event: string, match: RegExp = /./): Promise<EventRecord> =>
  until(`a ${event} record for ${component}`, async () => w.records.find((r) => r.component === component && r.event === event && match.test(r.message ?? '')), 90_000);

beforeAll(async () => {
  cluster = await sharedKubeCluster();
  NS = await testNamespace(cluster, 'kube-watch');
  files = testFileDir('kube-watch');
  // The chart's RBAC as rendered (the -watch Role and the node ClusterRole): least privilege is what runs.
  const paths: Record<string, string> = {
    ServiceAccount: `/api/v1/namespaces/${NS}/serviceaccounts`,
    Role: `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`,
    RoleBinding: `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`,
    ClusterRole: '/apis/rbac.authorization.k8s.io/v1/clusterroles',
    ClusterRoleBinding: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
  };
  const rendered = (await renderChart({ namespace: NS, release: `hs-${NS}` })) as { kind: string; metadata: { name: string } }[];
  for (const m of rendered.filter((o) => o.kind in paths)) await api('POST', paths[m.kind]!, m);
  const sa = rendered.find((o) => o.kind === 'ServiceAccount')!.metadata.name;
  const token = (await api('POST', `/api/v1/namespaces/${NS}/serviceaccounts/${sa}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } })) as { status: { token: string } };
  kubeconfig = writeTokenKubeconfig(cluster, token.status.token, path.join(files, 'watcher.kubeconfig'));
}, 3_600_000);

afterAll(async () => {
  for (const w of watchers) if (w.exitCode === null) w.kill('SIGKILL');
  if (cluster && NS) await cleanUp(cluster, [NS], pool);
  if (files) fs.rmSync(files, { recursive: true, force: true });
});

test('CrashLoopBackOff, OOMKilled, Evicted, ImagePullBackOff and a stalled rollout become event records of the right components', async () => {
  const w = await startWatcher();
  await api('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, deployment('enrich-v2', 1, { labels: { 'homeostat.dev/fault': 'crashloop' } }));
  await api('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, deployment('score', 1, { labels: { 'homeostat.dev/fault': 'oom' } }));
  await api('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, deployment('sink', 1, { labels: { 'homeostat.dev/fault': 'evicted' } }));
  await api('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, deployment('features', 1, { image: 'registry.invalid/homeostat/features:2', spec: { progressDeadlineSeconds: 2 } }));

  const crash = await recordFor(w, 'enrich', 'CRASHED');
  expect(crash).toMatchObject({ pipeline: PIPELINE, signal: 'kubernetes', labels: { reason: 'CrashLoopBackOff', container: 'main' } });
  expect(crash.message).toMatch(/CrashLoopBackOff .*last terminated: Error, exit 1/);
  const oom = await recordFor(w, 'score', 'OOMKilled');
  expect(oom).toMatchObject({ exitCode: 137, labels: { reason: 'OOMKilled' } });
  const evicted = await recordFor(w, 'sink', 'EVICTED');
  expect(evicted.labels?.pod).toMatch(/^sink-/);
  const pull = await recordFor(w, 'features', 'FAILED', /ImagePullBackOff|ErrImagePull/);
  expect(pull.message).toContain('registry.invalid/homeostat/features:2');
  const stalled = await recordFor(w, 'features', 'FAILED', /rollout of deployment features stalled/);
  expect(stalled.message).toMatch(/ProgressDeadlineExceeded/);
  // Once per episode: a crash-looping pod keeps updating, the record is not repeated.
  const state = await w.state();
  expect(w.records.filter((r) => r.component === 'enrich' && r.event === 'CRASHED')).toHaveLength(1);
  expect(state.stats.relists).toEqual({ pods: 1, deployments: 1, events: 1 });
  await w.stop();
}, 180_000);

test('a node going NotReady is a NODE_NOT_READY record for each component with pods on it', async () => {
  pool = await ownNodes(cluster, NS, 1);
  const [node] = pool as [string];
  await api('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, deployment('join', 1, { pod: poolPlacement(NS) }));
  await until('join running on the pool node', async () => {
    const pods = (await api('GET', `/api/v1/namespaces/${NS}/pods?labelSelector=app%3Djoin`)) as { items: { spec: { nodeName?: string }; status: { phase?: string } }[] };
    return pods.items.some((p) => p.spec.nodeName === node && p.status.phase === 'Running') ? true : undefined;
  });
  const w = await startWatcher();
  await api('PATCH', `/api/v1/nodes/${node}`, { metadata: { labels: { 'homeostat.dev/node-fault': 'not-ready' } } }, 'application/merge-patch+json');
  const lost = await recordFor(w, 'join', 'NODE_NOT_READY');
  expect(lost.labels).toMatchObject({ node, reason: 'NodeNotReady' });
  expect(lost.message).toContain(`node ${node} is NotReady`);
  await w.stop();
}, 180_000);

test('a restarted watcher resumes from its resourceVersions: no re-list, nothing re-sent, what happened meanwhile reported', async () => {
  const first = await startWatcher();
  await recordFor(first, 'enrich', 'CRASHED');
  const { resourceVersions } = await first.state();
  await first.stop();
  // While no watcher runs, a new fault.
  await api('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, deployment('rank', 1, { labels: { 'homeostat.dev/fault': 'crashloop' } }));

  const resumed = await startWatcher(resourceVersions);
  await recordFor(resumed, 'rank', 'CRASHED');
  const state = await resumed.state();
  expect(state.stats.relists).toEqual({ pods: 0, deployments: 0, events: 0 });
  // What the first run sent is not sent again.
  expect(resumed.records.filter((r) => r.component === 'enrich')).toEqual([]);
  await resumed.stop();
}, 180_000);
