/**
 * Helm, built from the Go module proxy (`go install helm.sh/helm/v3/cmd/helm`) into the cache, to
 * render the chart in deploy/helm/homeostat exactly as `helm install` would: Go templates with
 * Sprig, as users get them, rather than a re-implementation. HELM_PATH names an existing binary.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { HomeostatError } from '../common/errors';
import { cacheDir, REPO_ROOT } from '../common/paths';
import { withCacheLock } from './cache-lock';
import { runToCompletion } from './process';
import { log, longStep } from './step';
import { isExecutable } from './temporal-cli';
import { requireTool } from './toolchain';
import { VERSIONS } from './versions';

const execFileAsync = promisify(execFile);

export const HELM_MODULE = 'helm.sh/helm/v3/cmd/helm';
export const CHART_DIR = path.join(REPO_ROOT, 'deploy', 'helm', 'homeostat');

export function helmDir(): string {
  return path.join(cacheDir(), `helm-${VERSIONS.helm}`);
}


export async function ensureHelm(): Promise<string> {
  const override = process.env.HELM_PATH;
  if (override) {
    if (!isExecutable(override)) throw new HomeostatError('HS_INVALID_INPUT', `HELM_PATH=${override} is not an executable file.`);
    return override;
  }
  const binary = path.join(helmDir(), 'helm');
  if (isExecutable(binary)) return binary;
  await withCacheLock(cacheDir(), `helm-${VERSIONS.helm}`, async () => {
    if (isExecutable(binary)) return;
    const go = requireTool('go');
    const staging = fs.mkdtempSync(path.join(cacheDir(), '.helm-build-'));
    try {
      await longStep(`Helm ${VERSIONS.helm}: go install ${HELM_MODULE}@v${VERSIONS.helm} (a cold build takes minutes)`, () =>
        runToCompletion('go install helm', 'nice', ['-n', '15', go, 'install', `${HELM_MODULE}@v${VERSIONS.helm}`], {
          env: { ...process.env, GOBIN: staging, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
        }),
      );
      fs.mkdirSync(helmDir(), { recursive: true });
      fs.renameSync(path.join(staging, 'helm'), binary);
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  });
  log(`[homeostat] Helm ${VERSIONS.helm}: ${binary}`);
  return binary;
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  /** Extra values files. */
  valuesFiles?: string[];
  /** --set key=value pairs. */
  set?: Record<string, string>;
}

/** `helm template` of the chart: the manifests it would install, parsed. */
export async function renderChart(o: RenderOptions = {}, chart = CHART_DIR): Promise<Record<string, unknown>[]> {
  const helm = await ensureHelm();
  // Rendered for the Kubernetes version the manifests are validated against.
  const args = ['template', o.release ?? 'homeostat', chart, '--namespace', o.namespace ?? 'homeostat', '--kube-version', VERSIONS.kubernetesOpenApi];
  for (const f of o.valuesFiles ?? []) args.push('--values', f);
  for (const [k, v] of Object.entries(o.set ?? {})) args.push('--set', `${k}=${v}`);
  // Helm keeps caches and config under HOME; give it a private one so nothing leaks in or out.
  const home = path.join(helmDir(), 'home');
  fs.mkdirSync(home, { recursive: true });
  let out: string;
  try {
    // stdout alone: warnings on stderr must not end up in the manifests.
    ({ stdout: out } = await execFileAsync(helm, args, {
      maxBuffer: 16 * 1024 * 1024,
      env: { PATH: process.env.PATH ?? '', HOME: home, HELM_CACHE_HOME: path.join(home, 'cache'), HELM_CONFIG_HOME: path.join(home, 'config'), HELM_DATA_HOME: path.join(home, 'data') },
    }));
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new HomeostatError('HS_INVALID_INPUT', `helm template failed: ${(e.stderr ?? e.message).trim()}`);
  }
  return parseAllDocuments(out)
    .map((d) => d.toJS() as unknown)
    .filter((d): d is Record<string, unknown> => !!d && typeof d === 'object');
}
