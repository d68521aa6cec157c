/**
 * A local Kubernetes control plane on loopback: etcd, kube-apiserver (TLS, client certificates,
 * service-account tokens, RBAC on), kube-controller-manager and kube-scheduler, with kwok playing
 * the kubelet for fake nodes (there is no container runtime here). The binaries come from
 * `infra/kube-build.ts`; the PKI from `infra/kube-certs.ts`.
 *
 * Every process runs in its own process group (see infra/process.ts) and is stopped in reverse
 * start order. Start-up fails loudly with the last output of the process that did not come up.
 */
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { HomeostatError } from '../common/errors';
import { REPO_ROOT } from '../common/paths';
import { ensureKubernetes } from './kube-build';
import { ensurePki, type ClusterPki } from './kube-certs';
import { freePorts } from './ports';
import { spawnService, waitUntilReady, type ManagedProcess } from './process';
import { log, step } from './step';
import { VERSIONS } from './versions';

export const KWOK_STAGES = path.join(REPO_ROOT, 'infra', 'kwok-stages.yaml');
/** Nodes kwok manages carry this annotation; nodes without it are left alone. */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

export interface KubeClusterOptions {
  /** Directory for etcd's data, the PKI, kubeconfigs and logs; a fresh temporary one when omitted (deleted on stop). */
  dir?: string;
  /** Fake nodes to create (named `kwok-node-<i>`). Default 3. */
  nodes?: number;
  readyTimeoutMs?: number;
}

export interface KubeCluster {
  /** https://127.0.0.1:<port> */
  server: string;
  /** Admin kubeconfig (client certificate in system:masters). */
  kubeconfig: string;
  caFile: string;
  dir: string;
  /** Milliseconds from the first process spawned until nodes were Ready. */
  startupMs: number;
  /** The fake nodes created at start. */
  nodes: string[];
  /** etcd's client URL (tests compact it to provoke a watch's 410 Gone). */
  etcdUrl: string;
  /** Process-group leaders (etcd, API server, controllers, kwok): for a stop from another process. */
  pids: number[];
  /** GET/POST/… against the API server as admin; JSON in, JSON out. */
  request: KubeRequest;
  /** The same, authenticated by a bearer token (a ServiceAccount's) instead of the admin certificate. */
  requestAs(token: string): KubeRequest;
  stop(): Promise<void>;
}

function kubeconfigFor(server: string, pki: ClusterPki, user: { cert?: string; key?: string; token?: string }): string {
  const auth = user.token !== undefined ? `    token: ${user.token}` : `    client-certificate: ${user.cert}\n    client-key: ${user.key}`;
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: homeostat-local',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority: ${pki.caCert}`,
    'users:',
    '- name: user',
    '  user:',
    auth,
    'contexts:',
    '- name: homeostat-local',
    '  context: { cluster: homeostat-local, user: user }',
    'current-context: homeostat-local',
    '',
  ].join('\n');
}

/** Writes a kubeconfig that authenticates with a bearer token (a ServiceAccount's, for least-privilege tests). */
export function writeTokenKubeconfig(cluster: KubeCluster, token: string, file: string): string {
  const pki = { caCert: cluster.caFile } as ClusterPki;
  fs.writeFileSync(file, kubeconfigFor(cluster.server, pki, { token }), { mode: 0o600 });
  return file;
}

export type KubeRequest = (method: string, pathname: string, body?: unknown, contentType?: string) => Promise<{ status: number; body: unknown }>;

function apiRequest(server: string, pki: ClusterPki, auth: { token: string } | 'admin'): KubeRequest {
  const ca = fs.readFileSync(pki.caCert);
  const identity = auth === 'admin' ? { cert: fs.readFileSync(pki.adminCert), key: fs.readFileSync(pki.adminKey) } : {};
  const authorization = auth === 'admin' ? {} : { authorization: `Bearer ${auth.token}` };
  return (method, pathname, body, contentType = 'application/json') =>
    new Promise((resolve, reject) => {
      const url = new URL(pathname, server);
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = https.request(
        url,
        { method, ca, ...identity, headers: { accept: 'application/json', ...authorization, ...(payload ? { 'content-type': contentType, 'content-length': payload.length } : {}) }, timeout: 10_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // readyz and friends answer plain text.
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${pathname}: timed out`)));
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
}

function fakeNode(name: string): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' }, labels: { 'kubernetes.io/hostname': name, type: 'kwok' } },
    spec: {},
  };
}

/** Starts the control plane and kwok, creates the fake nodes and waits until they are Ready. */
export async function startKubeCluster(options: KubeClusterOptions = {}): Promise<KubeCluster> {
  const bins = await ensureKubernetes();
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-kube-'));
  fs.mkdirSync(dir, { recursive: true });
  const pki = await ensurePki(path.join(dir, 'pki'));
  const [etcdClient, etcdPeer, apiPort] = await freePorts(3);
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = path.join(dir, 'admin.kubeconfig');
  fs.writeFileSync(kubeconfig, kubeconfigFor(server, pki, { cert: pki.adminCert, key: pki.adminKey }), { mode: 0o600 });
  const logs = path.join(dir, 'logs');
  fs.mkdirSync(logs, { recursive: true });
  const procs: ManagedProcess[] = [];
  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  const stop = async (): Promise<void> => {
    for (const p of [...procs].reverse()) await p.stop(5_000);
    procs.length = 0;
    if (ownsDir) fs.rmSync(dir, { recursive: true, force: true });
  };
  const request = apiRequest(server, pki, 'admin');
  const started = performance.now();
  try {
    await step(`Kubernetes ${VERSIONS.kubernetes}: etcd ${VERSIONS.etcd} on 127.0.0.1:${etcdClient}`, async () => {
      const etcdUrl = `http://127.0.0.1:${etcdClient}`;
      const peerUrl = `http://127.0.0.1:${etcdPeer}`;
      const etcd = spawnService('etcd', bins.etcd, [
        '--name=default', `--data-dir=${path.join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=default=${peerUrl}`,
        // A throw-away test store: no fsync, small quota, little logging.
        '--unsafe-no-fsync', '--quota-backend-bytes=536870912', '--log-level=warn',
      ], { logFile: path.join(logs, 'etcd.log') });
      procs.push(etcd);
      await waitUntilReady(etcd, async () => (await fetch(`${etcdUrl}/health`)).ok, { timeoutMs, what: 'etcd' });
      const apiserver = spawnService('kube-apiserver', bins.kubeApiserver, [
        `--etcd-servers=${etcdUrl}`, '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${apiPort}`,
        `--tls-cert-file=${pki.serverCert}`, `--tls-private-key-file=${pki.serverKey}`, `--client-ca-file=${pki.caCert}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local', `--service-account-key-file=${pki.saPublic}`,
        `--service-account-signing-key-file=${pki.saPrivate}`, '--api-audiences=https://kubernetes.default.svc.cluster.local',
        '--authorization-mode=Node,RBAC', '--service-cluster-ip-range=10.0.0.0/24', '--allow-privileged=true',
        // No kubelets to talk to, no aggregated APIs: skip what would only wait for them.
        '--enable-priority-and-fairness=false', '--profiling=false', `--cert-dir=${path.join(dir, 'apiserver-certs')}`,
      ], { logFile: path.join(logs, 'kube-apiserver.log') });
      procs.push(apiserver);
      await waitUntilReady(apiserver, async () => (await request('GET', '/readyz')).status === 200, { timeoutMs, intervalMs: 500, what: 'kube-apiserver' });
    });
    const common = [`--kubeconfig=${kubeconfig}`, '--leader-elect=false', '--bind-address=127.0.0.1', '--secure-port=0'];
    const cm = spawnService('kube-controller-manager', bins.kubeControllerManager, [
      ...common, `--service-account-private-key-file=${pki.saPrivate}`, `--root-ca-file=${pki.caCert}`,
      '--use-service-account-credentials=true', `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
      // Pod IPs come from kwok; no cloud, no node IPAM.
      '--controllers=*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-route',
    ], { logFile: path.join(logs, 'kube-controller-manager.log') });
    procs.push(cm);
    const scheduler = spawnService('kube-scheduler', bins.kubeScheduler, [...common, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`], {
      logFile: path.join(logs, 'kube-scheduler.log'),
    });
    procs.push(scheduler);
    const kwok = spawnService('kwok', bins.kwok, [
      `--kubeconfig=${kubeconfig}`, `--config=${KWOK_STAGES}`, `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
      '--cidr=10.244.0.0/16', '--node-ip=127.0.0.1',
    ], { logFile: path.join(logs, 'kwok.log'), env: { ...process.env, HOME: dir } });
    procs.push(kwok);
    const nodes = Array.from({ length: options.nodes ?? 3 }, (_, i) => `kwok-node-${i}`);
    for (const name of nodes) {
      const res = await request('POST', '/api/v1/nodes', fakeNode(name));
      if (res.status !== 201 && res.status !== 409) throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `creating node ${name}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    }
    await step(`Kubernetes: controller-manager, scheduler, kwok; ${nodes.length} nodes Ready`, () =>
      waitUntilReady(kwok, async () => (await readyNodes(request)) >= nodes.length && (await defaultServiceAccount(request)), { timeoutMs, intervalMs: 500, what: 'kwok nodes' }),
    );
    for (const p of [cm, scheduler]) {
      if (p.exitStatus() !== undefined) throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `${p.name} exited (${p.exitStatus()}). Last output (${p.logFile}):\n${p.tail()}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const startupMs = Math.round(performance.now() - started);
  log(`[homeostat] Kubernetes ${VERSIONS.kubernetes} on ${server}: ready in ${startupMs} ms (kubeconfig ${kubeconfig})`);
  const nodeNames = Array.from({ length: options.nodes ?? 3 }, (_, i) => `kwok-node-${i}`);
  return { server, kubeconfig, caFile: pki.caCert, dir, startupMs, nodes: nodeNames, etcdUrl: `http://127.0.0.1:${etcdClient}`, pids: procs.map((p) => p.pid), request, requestAs: (token) => apiRequest(server, pki, { token }), stop };
}

/** What another process needs to use a running cluster (see connectKubeCluster): plain JSON. */
export const KubeClusterState = z.object({
  server: z.string().url(),
  kubeconfig: z.string(),
  caFile: z.string(),
  adminCert: z.string(),
  adminKey: z.string(),
  dir: z.string(),
  startupMs: z.number(),
  nodes: z.array(z.string()),
  etcdUrl: z.string().url(),
});
export type KubeClusterState = z.infer<typeof KubeClusterState>;

export function kubeClusterState(cluster: KubeCluster): KubeClusterState {
  const pki = path.join(cluster.dir, 'pki');
  return { server: cluster.server, kubeconfig: cluster.kubeconfig, caFile: cluster.caFile, adminCert: path.join(pki, 'admin.crt'), adminKey: path.join(pki, 'admin.key'), dir: cluster.dir, startupMs: cluster.startupMs, nodes: cluster.nodes, etcdUrl: cluster.etcdUrl };
}

/**
 * A handle on a cluster another process started (a run's shared control plane, `homeostat cluster
 * up`). Its `stop` does nothing: the cluster belongs to whoever started it.
 */
export function connectKubeCluster(state: KubeClusterState): KubeCluster {
  const pki = { caCert: state.caFile, adminCert: state.adminCert, adminKey: state.adminKey } as ClusterPki;
  return {
    server: state.server, kubeconfig: state.kubeconfig, caFile: state.caFile, dir: state.dir, startupMs: state.startupMs, nodes: state.nodes, etcdUrl: state.etcdUrl, pids: [],
    request: apiRequest(state.server, pki, 'admin'),
    requestAs: (token) => apiRequest(state.server, pki, { token }),
    stop: async () => {},
  };
}


async function readyNodes(request: KubeRequest): Promise<number> {
  const res = await request('GET', '/api/v1/nodes');
  const items = (res.body as { items?: { status?: { conditions?: { type: string; status: string }[] } }[] }).items ?? [];
  return items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
}

/** The controller-manager is working once it has created the default ServiceAccount. */
async function defaultServiceAccount(request: KubeRequest): Promise<boolean> {
  return (await request('GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200;
}
