/**
 * The Kubernetes binding on a real API server (infra/kubernetes.ts: etcd, kube-apiserver with
 * RBAC, controller-manager, scheduler, kwok nodes), authenticated as the chart's ServiceAccount
 * with exactly the chart's Role and ClusterRole — least privilege is what runs here. Each case
 * asserts on the API objects: generations, ReplicaSets, replicas, the HPA, node taints, where
 * pods run. The binding runs in a child process (orchestration-kubernetes.driver.ts): the client
 * library is ESM-only, which Node loads and Jest's module loader does not.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { renderChart } from '../../infra/helm';
import { openKnowledgeBase } from '../../knowledge/open';
import { parsePolicyOrThrow } from '../../policies/load';
import { evaluateSafety } from '../../policies/safety';
import { writeTokenKubeconfig, type KubeCluster } from '../../infra/kubernetes';
import { cleanUp, ownNodes, poolPlacement, sharedKubeCluster, testFileDir, testNamespace } from '../support/kube';
import { until } from '../support/until';

const DRIVER = path.join(__dirname, 'orchestration-kubernetes.driver.ts');
const FROM_POLICY = path.join(__dirname, 'orchestration-from-policy.driver.ts');
const DEMO_POLICY = path.join(__dirname, '..', '..', 'policies', 'examples', 'demo.yaml');
let NS: string;
let OTHER_NS: string;

let cluster: KubeCluster;
let kubeconfig: string;
let files: string;
/** Nodes of this file's own (the drain case cordons one): no other file's pods run there. */
let pool: string[] = [];

type Obj = { metadata: { name: string; generation?: number; annotations?: Record<string, string>; ownerReferences?: { uid: string }[]; uid?: string }; spec: Record<string, unknown>; status: Record<string, unknown> };
type Result = Record<string, unknown> & { error?: string; message?: string };

/** Runs operations through the real binding as the chart's ServiceAccount; one result per operation. */
function run(ops: unknown[], options: { namespace?: string; stepTimeoutMs?: number } = {}): Promise<Result[]> {
  return new Promise((resolve, reject) => {
    const args = ['--require', require.resolve('tsx/cjs'), DRIVER, kubeconfig, options.namespace ?? NS, JSON.stringify(ops), String(options.stepTimeoutMs ?? 60_000), kbFile()];
    execFile(process.execPath, args, { timeout: 170_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as Result[]);
    });
  });
}

async function api(method: string, p: string, body?: unknown, contentType?: string): Promise<unknown> {
  const res = await cluster.request(method, p, body, contentType);
  if (res.status >= 300) throw new Error(`${method} ${p}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The knowledge base every driver run shares, as the workers of one deployment share theirs. */
const kbFile = (): string => path.join(files, 'knowledge.db');

const get = (p: string): Promise<Obj> => api('GET', p) as Promise<Obj>;
const deploymentPath = (name: string, ns = NS): string => `/apis/apps/v1/namespaces/${ns}/deployments/${name}`;

function deployment(name: string, replicas: number, image = 'registry.example/homeostat/stage:1', extra: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}): unknown {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image }], ...podSpec } },
      ...extra,
    },
  };
}

async function createDeployment(name: string, replicas: number, image?: string, extra?: Record<string, unknown>, ns = NS, podSpec?: Record<string, unknown>): Promise<void> {
  await api('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment(name, replicas, image, extra, podSpec));
  await until(`deployment/${name} available`, async () => {
    const d = await get(deploymentPath(name, ns));
    return d.status.availableReplicas === replicas ? d : undefined;
  });
}

async function podsOf(app: string, ns = NS): Promise<{ metadata: { name: string; deletionTimestamp?: string }; spec: { nodeName?: string } }[]> {
  const list = (await api('GET', `/api/v1/namespaces/${ns}/pods?labelSelector=app%3D${app}`)) as { items: { metadata: { name: string; deletionTimestamp?: string }; spec: { nodeName?: string } }[] };
  return list.items.filter((p) => !p.metadata.deletionTimestamp);
}

const RBAC_PATHS: Record<string, (ns: string) => string> = {
  ServiceAccount: (ns) => `/api/v1/namespaces/${ns}/serviceaccounts`,
  Role: (ns) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`,
  RoleBinding: (ns) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`,
  ClusterRole: () => '/apis/rbac.authorization.k8s.io/v1/clusterroles',
  ClusterRoleBinding: () => '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
};

beforeAll(async () => {
  // The run's one control plane (test/support/kube.ts); namespaces and a release name of this file's own.
  cluster = await sharedKubeCluster();
  NS = await testNamespace(cluster, 'orch-kube');
  OTHER_NS = await testNamespace(cluster, 'someone-else');
  files = testFileDir('orch-kube');
  // The chart's own RBAC objects, applied as rendered: the binding gets exactly what ships. The
  // release is named after the namespace so that the cluster-scoped objects are this file's own.
  const rendered = (await renderChart({ namespace: NS, release: `hs-${NS}` })) as { kind: string; metadata: { name: string; namespace?: string } }[];
  for (const m of rendered.filter((o) => o.kind in RBAC_PATHS)) await api('POST', RBAC_PATHS[m.kind]!(m.metadata.namespace ?? NS), m);
  const sa = rendered.find((o) => o.kind === 'ServiceAccount')!.metadata.name;
  const token = (await api('POST', `/api/v1/namespaces/${NS}/serviceaccounts/${sa}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } })) as { status: { token: string } };
  kubeconfig = writeTokenKubeconfig(cluster, token.status.token, path.join(files, 'binding.kubeconfig'));
}, 3_600_000);

afterAll(async () => {
  if (cluster && NS) await cleanUp(cluster, [NS, OTHER_NS].filter(Boolean), pool);
  if (files) fs.rmSync(files, { recursive: true, force: true });
});

test('microreboot = rollout restart: a new generation and ReplicaSet, every pod replaced, and the step returns once the rollout completes', async () => {
  await createDeployment('enrich', 2);
  const before = await get(deploymentPath('enrich'));
  const oldPods = (await podsOf('enrich')).map((p) => p.metadata.name);
  const [result] = await run([{ op: 'restart', component: 'enrich' }]);
  expect(result).toMatchObject({ component: 'enrich', restarted: 2 });
  // Returned only after completion: no waiting here.
  const after = await get(deploymentPath('enrich'));
  expect(after.metadata.generation).toBe(before.metadata.generation! + 1);
  expect((after.spec.template as { metadata: { annotations: Record<string, string> } }).metadata.annotations['kubectl.kubernetes.io/restartedAt']).toBeDefined();
  expect(after.status).toMatchObject({ observedGeneration: after.metadata.generation, updatedReplicas: 2, availableReplicas: 2, replicas: 2 });
  const rs = (await api('GET', `/apis/apps/v1/namespaces/${NS}/replicasets?labelSelector=app%3Denrich`)) as { items: Obj[] };
  expect(rs.items.map((r) => r.metadata.annotations?.['deployment.kubernetes.io/revision']).sort()).toEqual(['1', '2']);
  const newPods = (await podsOf('enrich')).map((p) => p.metadata.name);
  expect(newPods).toHaveLength(2);
  expect(newPods.filter((n) => oldPods.includes(n))).toEqual([]);
}, 180_000);

test('a policy naming a Kubernetes orchestration gets the binding: namespace, kubeconfig and the component → Deployment map', async () => {
  const doc = YAML.parseDocument(fs.readFileSync(DEMO_POLICY, 'utf8'));
  doc.setIn(['pipelines', 0, 'bindings', 'orchestration'], doc.createNode({ kind: 'kubernetes', namespace: NS, kubeconfig, components: { 'enrich-stage': { deployment: 'enrich' } } }));
  const file = path.join(files, 'policy.yaml');
  fs.writeFileSync(file, doc.toString());
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['--require', require.resolve('tsx/cjs'), FROM_POLICY, file, 'enrich-stage'], { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
  );
  const result = JSON.parse(out) as { kind: string; status: { component: string; desiredReplicas: number; readyReplicas: number; instances: unknown[] } };
  expect(result).toMatchObject({ kind: 'kubernetes', status: { component: 'enrich-stage', desiredReplicas: 2, readyReplicas: 2 } });
  expect(result.status.instances).toHaveLength(2);
}, 60_000);

test('a bad image rollout stalls (the step fails with the condition), and rollback restores the previous revision', async () => {
  await createDeployment('score', 2, 'registry.example/homeostat/score:1', { progressDeadlineSeconds: 3, strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
  // The bad release: an image kwok cannot "pull".
  await api('PATCH', deploymentPath('score'), { spec: { template: { spec: { containers: [{ name: 'main', image: 'registry.invalid/homeostat/score:2' }] } } } }, 'application/strategic-merge-patch+json');
  const [stalled] = await run([{ op: 'restart', component: 'score' }], { stepTimeoutMs: 60_000 });
  expect(stalled!.error).toBe('HS_PRECONDITION_FAILED');
  expect(stalled!.message).toMatch(/rollout stalled \(ProgressDeadlineExceeded\)/);
  const [undone, again] = await run([{ op: 'rollback', component: 'score' }, { op: 'status', component: 'score' }]);
  // Revision 3 is the restart of the bad release (an annotation more); the good one is revision 1.
  expect(undone).toMatchObject({ fromRevision: 3, toRevision: 1 });
  const d = await get(deploymentPath('score'));
  expect((d.spec.template as { spec: { containers: { image: string }[] } }).spec.containers[0]!.image).toBe('registry.example/homeostat/score:1');
  expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('4');
  expect(d.status).toMatchObject({ updatedReplicas: 2, availableReplicas: 2, replicas: 2 });
  expect(again).toMatchObject({ desiredReplicas: 2, readyReplicas: 2 });
}, 180_000);

test('scale-out patches the scale subresource, or raises the HPA floor when an HPA owns the replicas', async () => {
  await createDeployment('sink', 1);
  const [scaled] = await run([{ op: 'scale', component: 'sink', replicas: 3 }]);
  expect(scaled).toMatchObject({ component: 'sink', desiredReplicas: 3 });
  expect((await get(deploymentPath('sink'))).spec.replicas).toBe(3);

  await createDeployment('features', 1);
  await api('POST', `/apis/autoscaling/v2/namespaces/${NS}/horizontalpodautoscalers`, {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'features' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'features' }, minReplicas: 1, maxReplicas: 2 },
  });
  await run([{ op: 'scale', component: 'features', replicas: 4 }]);
  const hpa = await get(`/apis/autoscaling/v2/namespaces/${NS}/horizontalpodautoscalers/features`);
  expect(hpa.spec).toMatchObject({ minReplicas: 4, maxReplicas: 4 });
}, 180_000);

test('the replica count before a stop is kept in the knowledge base: a start in another process restores it, a retried stop keeps it', async () => {
  await createDeployment('rank', 3);
  // Each run is its own process (another worker); only the knowledge base carries the count.
  const [stopped] = await run([{ op: 'stop', component: 'rank' }]);
  expect(stopped).toBeNull();
  expect((await get(deploymentPath('rank'))).spec.replicas).toBe(0);
  // A retried stop (the activity ran again) finds 0 replicas and must not forget the 3.
  await run([{ op: 'stop', component: 'rank' }]);
  const kb = openKnowledgeBase(kbFile());
  try {
    expect(await kb.rememberedReplicas(`kubernetes:${NS}/deployment/rank`)).toBe(3);
  } finally {
    await kb.close();
  }
  const [started] = await run([{ op: 'start', component: 'rank' }]);
  expect(started).toMatchObject({ component: 'rank', desiredReplicas: 3 });
  expect((await get(deploymentPath('rank'))).spec.replicas).toBe(3);
}, 180_000);

test('the blast-radius rule\'s healthy fraction is the cluster\'s ready replicas over desired ones; a missing Deployment counts as unhealthy', async () => {
  await createDeployment('steady', 2);
  // Crash-looping pods (kwok's stage, infra/kwok-stages.yaml) are never Ready.
  const flaky = deployment('flaky', 2) as { spec: { template: { metadata: { labels: Record<string, string> } } } };
  flaky.spec.template.metadata.labels['homeostat.dev/fault'] = 'crashloop';
  await api('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, flaky);
  await until('flaky has 2 pods, none ready', async () => {
    const d = await get(deploymentPath('flaky'));
    return (d.status.replicas as number | undefined) === 2 && !d.status.readyReplicas && d.status.observedGeneration === d.metadata.generation ? d : undefined;
  });
  const components = ['steady', 'flaky', 'missing'];
  const [health, replicas] = await run([
    { op: 'health', pipeline: 'clickstream', components },
    { op: 'replicas', pipeline: 'clickstream', components },
  ]);
  // 2 ready of 2 + 2 + 1 (the missing Deployment counts as one desired, none ready). The replica
  // read beside it names why a component counted as unreadable, should the fractions differ.
  expect({ health, replicas }).toEqual({ health: { pipeline: 2 / 5, fleet: 2 / 5 }, replicas: { ready: 2, desired: 5, unreadable: [expect.stringMatching(/^missing: /)] } });
  const policy = parsePolicyOrThrow(fs.readFileSync(DEMO_POLICY, 'utf8'), 'demo.yaml');
  const decision = evaluateSafety(
    { incidentId: 'incident/demo/enrich', pipeline: 'demo', component: 'enrich', faultClass: 'crash', severity: 'high', action: 'microreboot' },
    { policy, now: Date.now(), leases: [], history: [], health: health as { pipeline: number; fleet: number } },
  );
  expect(decision.verdict).toBe('deny');
  expect(decision.findings.map((f) => f.rule)).toContain('min-healthy');
}, 180_000);

test('drain cordons the node and evicts only the pipeline namespace\'s pods, waiting for the PodDisruptionBudget', async () => {
  // Nodes of this file's own (the shared ones stay schedulable for every other file); both
  // replicas on the first: the other cordoned while they are placed.
  pool = await ownNodes(cluster, NS, 2);
  const [node0, node1] = pool as [string, string];
  const placement = poolPlacement(NS);
  await api('PATCH', `/api/v1/nodes/${node1}`, { spec: { unschedulable: true } }, 'application/merge-patch+json');
  await createDeployment('join', 2, undefined, undefined, NS, placement);
  await createDeployment('neighbour', 1, undefined, undefined, OTHER_NS, placement);
  expect((await podsOf('join')).map((p) => p.spec.nodeName)).toEqual([node0, node0]);
  await api('POST', `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`, {
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'join' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'join' } } },
  });
  await until('the PDB allows one disruption', async () => ((await get(`/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/join`)).status.disruptionsAllowed === 1 ? true : undefined));
  await api('PATCH', `/api/v1/nodes/${node1}`, { spec: { unschedulable: false } }, 'application/merge-patch+json');

  const [drained] = await run([{ op: 'drainNode', node: node0 }]);
  expect(drained).toMatchObject({ refused: [], workloads: ['join'], components: ['join'] });
  expect((drained!.evicted as string[]).length).toBe(2);
  const node = await get(`/api/v1/nodes/${node0}`);
  expect(node.spec.unschedulable).toBe(true);
  expect(node.spec.taints).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })]));
  const join = await until('join running elsewhere', async () => {
    const pods = await podsOf('join');
    return pods.length === 2 && pods.every((p) => p.spec.nodeName && p.spec.nodeName !== node0) ? pods : undefined;
  });
  expect(join).toHaveLength(2);
  // Another namespace's pod on the node is not this pipeline's to move.
  expect((await podsOf('neighbour', OTHER_NS)).map((p) => p.spec.nodeName)).toEqual([node0]);
}, 180_000);

test('a verb the role does not grant fails the step with a clear "forbidden"', async () => {
  const [listed] = await run([{ op: 'components' }], { namespace: OTHER_NS });
  expect(listed!.error).toBe('HS_UNAUTHORISED');
  expect(listed!.message).toMatch(/forbidden — the binding's role does not grant it/);
}, 60_000);
