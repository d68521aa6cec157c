/**
 * `homeostat cluster up [--detach] [--nodes N] [--json]` / `homeostat cluster down`: the local
 * Kubernetes control plane (infra/kubernetes.ts: etcd, kube-apiserver, controller-manager,
 * scheduler, kwok nodes) to try the Kubernetes binding on without a cluster of your own.
 *
 * `up` prints the admin kubeconfig's path and stays until Ctrl-C; with `--detach` it starts the
 * same command in the background, waits until the cluster is ready and returns. Either way the
 * cluster is a shared service (infra/shared-service.ts) recorded in `<state dir>/cluster/`
 * (`kubernetes.json`: kubeconfig, server, the processes), so a second `up` finds the running one
 * and `down` stops it from any shell.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type Command } from 'commander';
import { z } from 'zod';
import { HomeostatError } from '../../common/errors';
import { stateDir } from '../../common/paths';
import { formatZodIssues } from '../../common/zod-errors';
import { KubeClusterState, kubeClusterState, startKubeCluster } from '../../infra/kubernetes';
import { readSharedService, releaseOwnedSharedServices, sharedService, stopSharedServices } from '../../infra/shared-service';

const NAME = 'kubernetes';
const UpFlags = z.object({ detach: z.boolean().optional(), nodes: z.coerce.number().int().min(1).max(50).default(3), json: z.boolean().optional() }).strict();

/** Where `cluster up` keeps its state file and the cluster's files. */
export function clusterStateDir(): string {
  return path.join(stateDir(), 'cluster');
}

function print(state: KubeClusterState, json: boolean | undefined, extra: Record<string, unknown> = {}): void {
  if (json) process.stdout.write(`${JSON.stringify({ ...state, ...extra })}\n`);
  else {
    process.stdout.write(`Kubernetes API server ${state.server} (${state.nodes.length} kwok nodes: ${state.nodes.join(', ')})\n`);
    process.stdout.write(`kubeconfig: ${state.kubeconfig}\n  export KUBECONFIG=${state.kubeconfig}\n`);
  }
}

async function up(flags: z.infer<typeof UpFlags>): Promise<void> {
  const dir = clusterStateDir();
  const running = readSharedService(NAME, { dir, schema: KubeClusterState });
  if (running) {
    print(running, flags.json, { alreadyRunning: true });
    return;
  }
  if (flags.detach) {
    fs.mkdirSync(dir, { recursive: true });
    const logFile = path.join(dir, 'cluster-up.log');
    const fd = fs.openSync(logFile, 'a');
    const child = spawn(process.execPath, [process.argv[1]!, 'cluster', 'up', '--nodes', String(flags.nodes)], { detached: true, stdio: ['ignore', fd, fd], env: process.env });
    fs.closeSync(fd);
    child.unref();
    const deadline = Date.now() + 60 * 60_000;
    for (;;) {
      const state = readSharedService(NAME, { dir, schema: KubeClusterState });
      if (state) return print(state, flags.json, { pid: child.pid, log: logFile });
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `cluster up --detach: the background start did not come up (see ${logFile})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  const state = await sharedService(
    NAME,
    async (own) => {
      const cluster = await startKubeCluster({ dir: own, nodes: flags.nodes });
      return { state: kubeClusterState(cluster), stop: cluster.stop, pids: cluster.pids };
    },
    { dir, schema: KubeClusterState },
  );
  print(state, flags.json);
  process.stdout.write('Ctrl-C (or `npx homeostat cluster down`) stops it.\n');
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => resolve());
  });
  await releaseOwnedSharedServices();
  fs.rmSync(path.join(dir, NAME), { recursive: true, force: true });
}

async function down(json: boolean | undefined): Promise<void> {
  const dir = clusterStateDir();
  const file = path.join(dir, `${NAME}.json`);
  let owner: number | undefined;
  try {
    owner = z.object({ owner: z.number() }).parse(JSON.parse(fs.readFileSync(file, 'utf8'))).owner;
  } catch {
    owner = undefined;
  }
  // The owner (`cluster up` in the foreground or detached) stops it gracefully on SIGTERM…
  if (owner !== undefined && owner !== process.pid) {
    try {
      process.kill(owner, 'SIGTERM');
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        process.kill(owner, 0);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } catch {
      // Gone (or never there): the recorded processes are stopped below.
    }
  }
  // …and whatever is left (an owner killed with SIGKILL) is stopped through its recorded processes.
  const stopped = await stopSharedServices(undefined, dir);
  const message = owner === undefined && stopped.length === 0 ? 'no local cluster was running' : 'local cluster stopped';
  process.stdout.write(json ? `${JSON.stringify({ stopped: true, message })}\n` : `${message}\n`);
}

export function register(program: Command): void {
  const cluster = program.command('cluster').description('a local Kubernetes control plane with kwok nodes, to try the Kubernetes binding on');
  cluster
    .command('up')
    .description('start it and print the kubeconfig path; stays until Ctrl-C, or --detach to run in the background')
    .option('--detach', 'start it in the background and return once it is ready')
    .option('--nodes <n>', 'number of kwok nodes', '3')
    .option('--json', 'print the state (kubeconfig, server, nodes) as JSON')
    .action(async (raw: unknown) => {
      const parsed = UpFlags.safeParse(raw);
      if (!parsed.success) throw new HomeostatError('HS_INVALID_INPUT', `cluster up: ${formatZodIssues(parsed.error).join('; ')}`);
      await up(parsed.data);
    });
  cluster
    .command('down')
    .description('stop the local cluster `cluster up` started')
    .option('--json', 'print the result as JSON')
    .action(async (raw: { json?: boolean }) => down(raw.json));
}
