/**
 * Builds Temporal's Go commands — the CLI (dev server), the server and its SQL tool — from one
 * wrapper module (infra/temporal-build/: it requires the CLI and the server at the versions in
 * infra/versions.ts). Built one by one with `go install <pkg>@<version>`, each command resolved
 * its own module graph: the server's differs from the CLI's in 53 modules (x/sys, x/net, grpc's
 * genproto, OpenTelemetry…), so nearly every package was compiled twice on a cold machine. From
 * one module they share one graph and Go's build cache compiles each package once: the server's
 * build after the CLI's adds little more than its persistence plugins and the SQL tool.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HomeostatError } from '../common/errors';
import { REPO_ROOT } from '../common/paths';
import { runToCompletion } from './process';
import { longStep } from './step';
import { requireTool } from './toolchain';
import { VERSIONS } from './versions';

export const TEMPORAL_BUILD_SOURCE = path.join(REPO_ROOT, 'infra', 'temporal-build');

/** A command of the wrapper module and the file name it gets in the cache. */
export interface TemporalCommand {
  pkg: string;
  name: string;
}

/** The versions the wrapper module requires; they must be those infra/versions.ts pins. */
export function wrapperVersions(goMod: string = fs.readFileSync(path.join(TEMPORAL_BUILD_SOURCE, 'go.mod'), 'utf8')): { cli?: string; server?: string } {
  const version = (module: string): string | undefined => goMod.match(new RegExp(`^\\s*${module.replace(/\./g, '\\.')} v(\\S+)`, 'm'))?.[1];
  return { cli: version('github.com/temporalio/cli'), server: version('go.temporal.io/server') };
}

function assertPinned(): void {
  const found = wrapperVersions();
  if (found.cli !== VERSIONS.temporalCli || found.server !== VERSIONS.temporalServer) {
    throw new HomeostatError(
      'HS_PROVISION_FAILED',
      `infra/temporal-build/go.mod requires the CLI ${found.cli ?? '(none)'} and the server ${found.server ?? '(none)'}, but infra/versions.ts pins ${VERSIONS.temporalCli} and ${VERSIONS.temporalServer}: change both together (then \`go mod tidy\` in infra/temporal-build).`,
    );
  }
}

/**
 * Builds `commands` into `dir` (through a staging directory, so a killed build never looks
 * cached). The caller holds the cache lock for `dir`.
 */
export async function buildTemporalCommands(what: string, dir: string, commands: TemporalCommand[]): Promise<void> {
  assertPinned();
  const go = requireTool('go');
  fs.mkdirSync(dir, { recursive: true });
  const src = path.join(dir, '.src');
  fs.mkdirSync(src, { recursive: true });
  for (const f of ['go.mod', 'go.sum', 'tools.go']) fs.copyFileSync(path.join(TEMPORAL_BUILD_SOURCE, f), path.join(src, f));
  const staging = fs.mkdtempSync(path.join(dir, '.build-'));
  try {
    await longStep(`${what}: go build ${commands.map((c) => c.pkg).join(' ')} (a cold build takes many minutes)`, () =>
      runToCompletion(`go build ${what}`, 'nice', ['-n', '15', go, 'build', '-o', `${staging}${path.sep}`, ...commands.map((c) => c.pkg)], {
        cwd: src,
        // The same flags for every command: Go's build cache is keyed by them.
        env: { ...process.env, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false -mod=readonly`.trim() },
      }),
    );
    for (const c of commands) fs.renameSync(path.join(staging, path.basename(c.pkg)), path.join(dir, c.name));
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    fs.rmSync(src, { recursive: true, force: true });
  }
}
