/**
 * The Kubernetes binding's requests, against a tiny local HTTP server standing in for the API
 * server: verbs, paths, content types and bodies as a real API server would receive them, and
 * the binding's reading of its answers. No real cluster is involved. The binding runs in a child
 * process (orchestration-kubernetes.driver.ts): the client library is ESM-only, which Node loads
 * and Jest's module loader does not.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
const DRIVER = path.join(__dirname, 'orchestration-kubernetes.driver.ts');

interface Seen {
  method: string;
  url: string;
  contentType: string;
  authorization: string;
  body: unknown;
}

const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'enrich-deploy', namespace: 'pipelines' }, spec: { replicas: 2, selector: { matchLabels: { app: 'enrich' } }, template: {} }, status: { readyReplicas: 1 } };
const pods = {
  apiVersion: 'v1',
  kind: 'PodList',
  metadata: {},
  items: [
    { metadata: { name: 'enrich-a', namespace: 'pipelines' }, status: { phase: 'Running', startTime: '2026-01-01T00:00:00Z', containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: true, restartCount: 0 }] } },
    {
      metadata: { name: 'enrich-b', namespace: 'pipelines' },
      status: {
        phase: 'Running',
        containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 3, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }],
      },
    },
  ],
};

describe('KubernetesOrchestrator (against a stand-in API server)', () => {
  let server: http.Server;
  const seen: Seen[] = [];
  let refuseEviction = false;
  let url: string;
  /** Runs operations through the real binding in a child process; one result per operation. */
  const run = (ops: unknown[]): Promise<Record<string, unknown>[]> =>
    new Promise((resolve, reject) => {
      execFile(process.execPath, ['--require', require.resolve('tsx/cjs'), DRIVER, url, JSON.stringify(ops)], { timeout: 60_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as Record<string, unknown>[]);
      });
    });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        seen.push({ method: req.method ?? '', url: req.url ?? '', contentType: String(req.headers['content-type'] ?? ''), authorization: String(req.headers.authorization ?? ''), body: text ? JSON.parse(text) : undefined });
        const send = (status: number, body: unknown): void => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        const url = req.url ?? '';
        if (url.endsWith('/eviction')) return refuseEviction ? send(429, { kind: 'Status', code: 429, message: 'Cannot evict pod as it would violate the pod disruption budget.' }) : send(201, { kind: 'Eviction' });
        if (url.startsWith('/apis/apps/v1/namespaces/pipelines/deployments/enrich-deploy/scale')) return send(200, { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'enrich-deploy' }, spec: { replicas: 3 } });
        if (url.startsWith('/apis/apps/v1/namespaces/pipelines/deployments/enrich-deploy')) return send(200, deployment);
        if (url.startsWith('/apis/apps/v1/namespaces/pipelines/deployments/missing')) return send(404, { kind: 'Status', code: 404 });
        if (url.startsWith('/apis/apps/v1/namespaces/pipelines/deployments')) return send(200, { kind: 'DeploymentList', metadata: {}, items: [deployment] });
        if (url.startsWith('/api/v1/namespaces/pipelines/pods?')) return send(200, pods);
        if (url.startsWith('/api/v1/pods?')) {
          return send(200, { kind: 'PodList', metadata: {}, items: [pods.items[0], { metadata: { name: 'agent', namespace: 'kube-system', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: '1' }] } }] });
        }
        if (url.startsWith('/api/v1/namespaces/pipelines/pods/')) return send(200, { kind: 'Pod', metadata: { name: 'enrich-a' } });
        if (url.startsWith('/api/v1/nodes/')) return send(200, { kind: 'Node', metadata: { name: 'node-1' } });
        send(404, { kind: 'Status', code: 404 });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  it('restarts through the pod-template annotation, like kubectl rollout restart', async () => {
    const [r] = await run([{ op: 'restart', component: 'enrich' }]);
    expect(r).toEqual({ component: 'enrich', restarted: 2, killed: 0 });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'PATCH',
      url: '/apis/apps/v1/namespaces/pipelines/deployments/enrich-deploy',
      contentType: 'application/strategic-merge-patch+json',
      authorization: 'Bearer test-token',
      body: { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: '2026-11-25T17:00:00.000Z' } } } } },
    });
  });

  it('scales through the scale subresource with a merge patch', async () => {
    await run([{ op: 'scale', component: 'enrich', replicas: 3 }]);
    const patch = seen.find((s) => s.method === 'PATCH');
    expect(patch).toMatchObject({ url: '/apis/apps/v1/namespaces/pipelines/deployments/enrich-deploy/scale', contentType: 'application/merge-patch+json', body: { spec: { replicas: 3 } } });
  });

  it('reads status from the Deployment and its pods (OOMKilled, restarts)', async () => {
    const [st] = (await run([{ op: 'status', component: 'enrich' }])) as unknown as { desiredReplicas: number; readyReplicas: number; instances: { id: string; state: string; restarts: number; lastExit?: unknown }[] }[];
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /apis/apps/v1/namespaces/pipelines/deployments/enrich-deploy',
      'GET /api/v1/namespaces/pipelines/pods?labelSelector=app%3Denrich',
    ]);
    expect(st.desiredReplicas).toBe(2);
    expect(st.readyReplicas).toBe(1);
    expect(st.instances.map((i) => [i.id, i.state, i.restarts])).toEqual([['enrich-a', 'running', 0], ['enrich-b', 'oom-killed', 3]]);
    expect(st.instances[1].lastExit).toMatchObject({ code: 137, reason: 'OOMKilled' });
  });

  it('deletes a pod, cordons a node and evicts through the Eviction API', async () => {
    await run([{ op: 'deletePod', pod: 'enrich-a', grace: 5 }, { op: 'cordon', node: 'node-1' }, { op: 'evict', pod: 'enrich-a' }]);
    expect(seen[0]).toMatchObject({ method: 'DELETE', url: '/api/v1/namespaces/pipelines/pods/enrich-a?gracePeriodSeconds=5' });
    expect(seen[1]).toMatchObject({ method: 'PATCH', url: '/api/v1/nodes/node-1', contentType: 'application/merge-patch+json', body: { spec: { unschedulable: true } } });
    expect(seen[2]).toMatchObject({
      method: 'POST',
      url: '/api/v1/namespaces/pipelines/pods/enrich-a/eviction',
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'enrich-a', namespace: 'pipelines' } },
    });
  });

  it('drains a node: cordon, evict every pod except DaemonSet ones, report budget refusals', async () => {
    refuseEviction = true;
    const [r] = await run([{ op: 'drainNode', node: 'node-1' }]);
    refuseEviction = false;
    expect(r).toEqual({ evicted: [], refused: ['enrich-a'] });
    expect(seen.map((s) => `${s.method} ${s.url.split('?')[0]}`)).toEqual(['PATCH /api/v1/nodes/node-1', 'GET /api/v1/pods', 'POST /api/v1/namespaces/pipelines/pods/enrich-a/eviction']);
    expect(seen[1].url).toContain('fieldSelector=spec.nodeName%3Dnode-1');
  });

  it('maps API errors to Homeostat error codes', async () => {
    const [r] = await run([{ op: 'restart', component: 'missing' }]);
    expect(r).toMatchObject({ error: 'HS_NOT_FOUND' });
  });
});
