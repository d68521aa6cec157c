/**
 * `homeostat cluster up --detach` / `cluster down` (cli/commands/cluster.ts) on the real binaries:
 * up prints the kubeconfig and returns with the control plane running in the background (kwok
 * nodes Ready, reachable with that kubeconfig's credentials), a second up finds it, down stops
 * every one of its processes from another shell.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectKubeCluster, KubeClusterState } from '../../infra/kubernetes';
import { until } from '../support/until';
import { isProcessAlive } from '../../infra/process';

const BIN = path.join(__dirname, '..', '..', 'bin', 'homeostat.js');
let state: string;

function homeostat(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, HOMEOSTAT_STATE_DIR: state }, timeout: 3_500_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`homeostat ${args.join(' ')}: ${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
    ),
  );
}


beforeAll(() => {
  state = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-cluster-cli-'));
});

afterAll(async () => {
  // Whatever happened above, nothing is left running.
  await homeostat(['cluster', 'down']).catch(() => undefined);
  fs.rmSync(state, { recursive: true, force: true });
});

test('cluster up --detach prints the kubeconfig and leaves the control plane running; cluster down stops it', async () => {
  const out = JSON.parse((await homeostat(['cluster', 'up', '--detach', '--nodes', '1', '--json'])).trim().split('\n').pop()!) as KubeClusterState & { pid: number };
  const info = KubeClusterState.parse(out);
  expect(fs.existsSync(info.kubeconfig)).toBe(true);
  expect(fs.readFileSync(info.kubeconfig, 'utf8')).toContain(`server: ${info.server}`);
  const cluster = connectKubeCluster(info);
  expect((await cluster.request('GET', '/readyz')).status).toBe(200);
  const nodes = (await cluster.request('GET', '/api/v1/nodes')).body as { items: { metadata: { name: string } }[] };
  expect(nodes.items.map((n) => n.metadata.name)).toEqual(['kwok-node-0']);
  // The up command returned; the cluster's processes run on, recorded in the state file.
  const recorded = JSON.parse(fs.readFileSync(path.join(state, 'cluster', 'kubernetes.json'), 'utf8')) as { owner: number; pids: number[] };
  expect(recorded.pids).toHaveLength(5);
  expect([recorded.owner, ...recorded.pids].every(isProcessAlive)).toBe(true);

  const again = JSON.parse((await homeostat(['cluster', 'up', '--json'])).trim()) as { alreadyRunning?: boolean; server: string };
  expect(again).toMatchObject({ alreadyRunning: true, server: info.server });

  expect(await homeostat(['cluster', 'down'])).toContain('local cluster stopped');
  await until('every process of the cluster gone', async () => ([recorded.owner, ...recorded.pids].some(isProcessAlive) ? undefined : true), 60_000);
  await expect(cluster.request('GET', '/readyz')).rejects.toThrow();
  expect(fs.existsSync(path.join(state, 'cluster'))).toBe(false);
}, 3_600_000);
