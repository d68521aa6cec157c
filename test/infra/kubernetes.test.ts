/**
 * The local control plane (infra/kubernetes.ts) on real binaries: etcd, kube-apiserver with RBAC,
 * controller-manager, scheduler and kwok. Asserts on the API server's own answers: nodes Ready,
 * a Deployment's pods scheduled and Running on kwok nodes, a fault asked for on a pod shows as the
 * kubelet would report it, RBAC refuses a ServiceAccount what its role does not grant, and the
 * Helm chart passes a server-side dry-run (#15's deployability check, against a real API server).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { KubeCluster } from '../../infra/kubernetes';
import { cleanUp, sharedKubeCluster, SHARED_NODES, testNamespace } from '../support/kube';
import { until } from '../support/until';

// @kubernetes/client-node is ESM-only (Jest cannot load it): the chart's dry-run runs as a script.
const DRY_RUN = path.join(__dirname, '..', 'deploy', 'dry-run-chart.ts');

let cluster: KubeCluster;
let NS: string;

type Pod = { metadata: { name: string }; spec: { nodeName?: string }; status: { phase?: string; containerStatuses?: { state?: { waiting?: { reason?: string } }; lastState?: { terminated?: { reason?: string } } }[] } };

async function pods(selector: string): Promise<Pod[]> {
  const res = await cluster.request('GET', `/api/v1/namespaces/${NS}/pods?labelSelector=${encodeURIComponent(selector)}`);
  return (res.body as { items: Pod[] }).items;
}

function deployment(name: string, replicas: number, labels: Record<string, string> = {}): unknown {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, ...labels } },
        spec: { containers: [{ name: 'main', image: 'registry.example/homeostat/enrich:1' }] },
      },
    },
  };
}

beforeAll(async () => {
  // The run's one control plane (test/support/kube.ts); this file works in a namespace of its own.
  cluster = await sharedKubeCluster();
  NS = await testNamespace(cluster, 'infra-kube');
}, 3_600_000);

afterAll(async () => {
  if (cluster && NS) await cleanUp(cluster, [NS]);
});

test('the control plane comes up with kwok nodes Ready, and reports its start-up time', async () => {
  const nodes = (await cluster.request('GET', '/api/v1/nodes')).body as { items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] };
  const shared = nodes.items.filter((n) => cluster.nodes.includes(n.metadata.name));
  expect(shared.map((n) => n.metadata.name).sort()).toEqual(Array.from({ length: SHARED_NODES }, (_, i) => `kwok-node-${i}`));
  expect(shared.every((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))).toBe(true);
  expect(cluster.startupMs).toBeGreaterThan(0);
  const version = (await cluster.request('GET', '/version')).body as { gitVersion: string };
  expect(version.gitVersion).toMatch(/^v1\.32\./);
});

test('a Deployment is scheduled onto kwok nodes and its pods become Running and Ready', async () => {
  expect((await cluster.request('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, deployment('enrich', 2))).status).toBe(201);
  const running = await until('2 Running pods', async () => {
    const list = await pods('app=enrich');
    return list.length === 2 && list.every((p) => p.status.phase === 'Running') ? list : undefined;
  });
  expect(running.every((p) => p.spec.nodeName?.startsWith('kwok-node-'))).toBe(true);
  const available = await until('the Deployment available', async () => {
    const d = (await cluster.request('GET', `/apis/apps/v1/namespaces/${NS}/deployments/enrich`)).body as { status: { availableReplicas?: number } };
    return d.status.availableReplicas === 2 ? d : undefined;
  });
  expect(available.status.availableReplicas).toBe(2);
}, 120_000);

test('a pod labelled to crash-loop reports CrashLoopBackOff like a kubelet, and OOMKilled as its last termination', async () => {
  expect((await cluster.request('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, deployment('score', 1, { 'homeostat.dev/fault': 'oom' }))).status).toBe(201);
  const pod = await until('a crash-looping pod', async () => {
    const [p] = await pods('app=score');
    return p?.status.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
  });
  expect(pod.status.containerStatuses?.[0]?.lastState?.terminated?.reason).toBe('OOMKilled');
}, 120_000);

test('RBAC is on: a ServiceAccount token gets exactly what its Role grants', async () => {
  const create = async (p: string, body: unknown): Promise<void> => {
    const res = await cluster.request('POST', p, body);
    expect([201, 409]).toContain(res.status);
  };
  await create(`/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader' } });
  await create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'pod-reader' },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
  });
  await create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'reader' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
    subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: NS }],
  });
  const token = await cluster.request('POST', `/api/v1/namespaces/${NS}/serviceaccounts/reader/token`, {
    apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 },
  });
  expect(token.status).toBe(201);
  const asReader = cluster.requestAs((token.body as { status: { token: string } }).status.token);
  const listed = await asReader('GET', `/api/v1/namespaces/${NS}/pods`);
  expect(listed.status).toBe(200);
  expect((listed.body as { items: unknown[] }).items.length).toBeGreaterThan(0);
  const denied = await asReader('GET', `/apis/apps/v1/namespaces/${NS}/deployments`);
  expect(denied.status).toBe(403);
  expect((denied.body as { reason: string }).reason).toBe('Forbidden');
  // A wrong token is not a user at all.
  expect((await cluster.requestAs('not-a-token')('GET', `/api/v1/namespaces/${NS}/pods`)).status).toBe(401);
});

test('the Helm chart passes a server-side dry-run on the real API server', async () => {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['--require', require.resolve('tsx/cjs'), DRY_RUN, cluster.kubeconfig, NS], { timeout: 280_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
    ),
  );
  const { accepted } = JSON.parse(out) as { accepted: string[] };
  expect(accepted).toEqual(expect.arrayContaining(['Deployment/homeostat-worker', 'Deployment/homeostat-sentinel', 'ServiceAccount/homeostat']));
  expect(accepted.length).toBeGreaterThanOrEqual(9);
  // dryRun=All persisted nothing.
  const list = (await cluster.request('GET', `/apis/apps/v1/namespaces/${NS}/deployments`)).body as { items: { metadata: { name: string } }[] };
  expect(list.items.map((d) => d.metadata.name)).not.toContain('homeostat-worker');
}, 300_000);
