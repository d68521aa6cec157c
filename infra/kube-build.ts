/**
 * The local Kubernetes control plane's binaries, built from the Go module proxy (no registry here
 * offers prebuilt ones):
 *  - kube-apiserver, kube-controller-manager, kube-scheduler: k8s.io/kubernetes cannot be
 *    `go install`ed (its go.mod points the k8s.io/* staging modules at local paths), so the wrapper
 *    module in infra/kube-build requires it and replaces every staging module by its published
 *    v0.32.x; ONE `go build` builds the three, so their shared packages are compiled once;
 *  - etcd: go.etcd.io/etcd/server/v3 through the same wrapper module (its go.mod has replace
 *    directives too, and Debian's etcd 3.4 is too old for Kubernetes 1.32);
 *  - kwok, which plays the kubelet for fake nodes: a plain `go install` with GOBIN.
 *
 * Cached under `<cache>/kubernetes-<k8s>-etcd-<etcd>/bin` and `<cache>/kwok-<kwok>/kwok`. As envtest
 * users expect, KUBEBUILDER_ASSETS names a directory whose binaries are taken instead of building
 * them (envtest ships etcd and kube-apiserver; what it lacks is taken from the cache or built).
 */
import fs from 'node:fs';
import path from 'node:path';
import { HomeostatError } from '../common/errors';
import { cacheDir, REPO_ROOT } from '../common/paths';
import { withCacheLock } from './cache-lock';
import { runToCompletion } from './process';
import { log, longStep } from './step';
import { isExecutable } from './temporal-cli';
import { requireTool } from './toolchain';
import { VERSIONS } from './versions';

export const KUBE_BUILD_SOURCE = path.join(REPO_ROOT, 'infra', 'kube-build');
export const KWOK_MODULE = 'sigs.k8s.io/kwok/cmd/kwok';
const K8S_COMMANDS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;

export interface KubeBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kwok: string;
}

export function kubeBuildDir(): string {
  return path.join(cacheDir(), `kubernetes-${VERSIONS.kubernetes}-etcd-${VERSIONS.etcd}`);
}

export function kwokDir(): string {
  return path.join(cacheDir(), `kwok-${VERSIONS.kwok}`);
}

function fromAssets(name: string): string | undefined {
  const dir = process.env.KUBEBUILDER_ASSETS;
  if (!dir) return undefined;
  const candidate = path.join(dir, name);
  return isExecutable(candidate) ? candidate : undefined;
}

function goEnv(): NodeJS.ProcessEnv {
  // -trimpath: the binaries do not depend on where the cache lives; no VCS stamping of a
  // directory that is not a repository.
  return { ...process.env, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false -trimpath`.trim(), CGO_ENABLED: '0' };
}

/** The control plane's binaries: KUBEBUILDER_ASSETS, else the cache, else one build. */
async function ensureControlPlane(): Promise<Omit<KubeBinaries, 'kwok'>> {
  const bin = path.join(kubeBuildDir(), 'bin');
  const want = (name: string): string => fromAssets(name) ?? path.join(bin, name);
  const paths = { etcd: want('etcd'), kubeApiserver: want('kube-apiserver'), kubeControllerManager: want('kube-controller-manager'), kubeScheduler: want('kube-scheduler') };
  if (Object.values(paths).every(isExecutable)) return paths;
  await withCacheLock(cacheDir(), path.basename(kubeBuildDir()), async () => {
    if (Object.values(paths).every(isExecutable)) return;
    const go = requireTool('go');
    const src = path.join(kubeBuildDir(), 'src');
    fs.mkdirSync(src, { recursive: true });
    for (const f of ['go.mod', 'go.sum', 'tools.go']) fs.copyFileSync(path.join(KUBE_BUILD_SOURCE, f), path.join(src, f));
    // Built into a staging directory and moved once complete: a killed build never looks cached.
    const staging = fs.mkdtempSync(path.join(kubeBuildDir(), '.build-'));
    try {
      const missingK8s = K8S_COMMANDS.filter((c) => !isExecutable(path.join(bin, c)));
      if (missingK8s.length > 0) {
        await longStep(`Kubernetes ${VERSIONS.kubernetes}: go build ${missingK8s.join(' ')} (one invocation; a cold build takes 20-30 min on 2 cores)`, () =>
          runToCompletion('go build kubernetes', 'nice', ['-n', '15', go, 'build', '-ldflags', versionLdflags(), '-o', `${staging}${path.sep}`, ...missingK8s.map((c) => `k8s.io/kubernetes/cmd/${c}`)], { cwd: src, env: goEnv() }),
        );
      }
      if (!isExecutable(path.join(bin, 'etcd'))) {
        await longStep(`etcd ${VERSIONS.etcd}: go build go.etcd.io/etcd/server/v3`, () =>
          runToCompletion('go build etcd', 'nice', ['-n', '15', go, 'build', '-o', path.join(staging, 'etcd'), 'go.etcd.io/etcd/server/v3'], { cwd: src, env: goEnv() }),
        );
      }
      fs.mkdirSync(bin, { recursive: true });
      for (const f of fs.readdirSync(staging)) fs.renameSync(path.join(staging, f), path.join(bin, f));
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  });
  const missing = Object.values(paths).filter((p) => !isExecutable(p));
  if (missing.length > 0) throw new HomeostatError('HS_PROVISION_FAILED', `the control-plane build finished but ${missing.join(', ')} do not exist.`);
  return paths;
}

async function ensureKwok(): Promise<string> {
  const assets = fromAssets('kwok');
  if (assets) return assets;
  const binary = path.join(kwokDir(), 'kwok');
  if (isExecutable(binary)) return binary;
  await withCacheLock(cacheDir(), path.basename(kwokDir()), async () => {
    if (isExecutable(binary)) return;
    const go = requireTool('go');
    fs.mkdirSync(kwokDir(), { recursive: true });
    const staging = fs.mkdtempSync(path.join(kwokDir(), '.build-'));
    try {
      await longStep(`kwok ${VERSIONS.kwok}: go install ${KWOK_MODULE}@v${VERSIONS.kwok}`, () =>
        runToCompletion('go install kwok', 'nice', ['-n', '15', go, 'install', `${KWOK_MODULE}@v${VERSIONS.kwok}`], { env: { ...goEnv(), GOBIN: staging } }),
      );
      fs.renameSync(path.join(staging, 'kwok'), binary);
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  });
  return binary;
}

/** Every binary the local cluster runs, built once and then taken from the cache. */
export async function ensureKubernetes(): Promise<KubeBinaries> {
  const started = performance.now();
  const binaries = { ...(await ensureControlPlane()), kwok: await ensureKwok() };
  log(`[homeostat] Kubernetes ${VERSIONS.kubernetes} + etcd ${VERSIONS.etcd} + kwok ${VERSIONS.kwok}: ready in ${Math.round(performance.now() - started)} ms (${path.dirname(binaries.kubeApiserver)})`);
  return binaries;
}

/**
 * The version the binaries report (`/version`'s gitVersion), as the Kubernetes release build
 * stamps it; without it a module build reports v0.0.0-master.
 */
function versionLdflags(): string {
  const [major, minor] = VERSIONS.kubernetes.split('.');
  const pkg = 'k8s.io/component-base/version';
  return [`-X ${pkg}.gitVersion=v${VERSIONS.kubernetes}`, `-X ${pkg}.gitMajor=${major}`, `-X ${pkg}.gitMinor=${minor}`, `-X ${pkg}.gitTreeState=clean`].join(' ');
}
