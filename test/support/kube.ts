/**
 * The test run's one Kubernetes control plane (infra/shared-service.ts): the first test file that
 * asks starts it, every other file in any worker connects to it, global teardown stops it. Each
 * test file works in namespaces of its own (`testNamespace`), and a file that cordons, drains or
 * breaks nodes does so on nodes of its own (`ownNodes`), tainted so that no other file's pods land
 * there — the shared nodes stay healthy for everyone.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { connectKubeCluster, KubeClusterState, kubeClusterState, startKubeCluster, type KubeCluster } from '../../infra/kubernetes';
import { sharedRunDir, sharedService } from '../../infra/shared-service';
import { until } from './until';

/** Nodes of the shared cluster, `kwok-node-0..2`: nobody cordons or breaks them. */
export const SHARED_NODES = 3;

/** The run's control plane. On a cold cache this waits for its build (scripts/prewarm.js starts it early). */
export async function sharedKubeCluster(): Promise<KubeCluster> {
  const state = await sharedService(
    'kubernetes',
    async (dir) => {
      const cluster = await startKubeCluster({ dir, nodes: SHARED_NODES });
      return { state: kubeClusterState(cluster), stop: cluster.stop, pids: cluster.pids };
    },
    { schema: KubeClusterState },
  );
  return connectKubeCluster(state);
}

async function ok(cluster: KubeCluster, method: string, p: string, body?: unknown, contentType?: string): Promise<unknown> {
  const res = await cluster.request(method, p, body, contentType);
  if (res.status >= 300) throw new Error(`${method} ${p}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A fresh namespace `<prefix>-<random>` (DNS-1123, ≤ 63 characters), created on the cluster. */
export async function testNamespace(cluster: KubeCluster, prefix: string): Promise<string> {
  const name = `${prefix}-${crypto.randomBytes(3).toString('hex')}`.slice(0, 63);
  await ok(cluster, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

/** A directory of the test file's own inside the run's directory (kubeconfigs, policies). */
export function testFileDir(prefix: string): string {
  const dir = path.join(sharedRunDir(), 'files', `${prefix}-${process.pid}-${crypto.randomBytes(3).toString('hex')}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** The label and taint key that reserve a file's own nodes for it. */
export const POOL_KEY = 'homeostat.dev/pool';

/**
 * `count` kwok nodes reserved for `pool` (usually the file's namespace): labelled and tainted
 * `homeostat.dev/pool=<pool>:NoSchedule`. Pods reach them with `poolPlacement(pool)`. Resolves
 * once they are Ready.
 */
export async function ownNodes(cluster: KubeCluster, pool: string, count: number): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `${pool}-n${i}`);
  for (const name of names) {
    await ok(cluster, 'POST', '/api/v1/nodes', {
      apiVersion: 'v1', kind: 'Node',
      metadata: { name, annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' }, labels: { 'kubernetes.io/hostname': name, type: 'kwok', [POOL_KEY]: pool } },
      spec: { taints: [{ key: POOL_KEY, value: pool, effect: 'NoSchedule' }] },
    });
  }
  await until(`${count} nodes of pool ${pool} Ready`, async () => {
    const list = (await ok(cluster, 'GET', `/api/v1/nodes?labelSelector=${encodeURIComponent(`${POOL_KEY}=${pool}`)}`)) as { items: { status?: { conditions?: { type: string; status: string }[] } }[] };
    return list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === count ? true : undefined;
  });
  return names;
}

/** Pod-spec fields that place a pod on the pool's nodes only. */
export function poolPlacement(pool: string): { nodeSelector: Record<string, string>; tolerations: unknown[] } {
  return { nodeSelector: { [POOL_KEY]: pool }, tolerations: [{ key: POOL_KEY, operator: 'Equal', value: pool, effect: 'NoSchedule' }] };
}

/** Deletes the file's nodes and namespaces (afterAll); the cluster itself belongs to the run. */
export async function cleanUp(cluster: KubeCluster, namespaces: string[], nodes: string[] = []): Promise<void> {
  for (const ns of namespaces) await cluster.request('DELETE', `/api/v1/namespaces/${ns}`);
  for (const node of nodes) await cluster.request('DELETE', `/api/v1/nodes/${node}`);
}
