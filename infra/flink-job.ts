/**
 * Builds the Flink job jar of the enrich stage (flink/enrich-job, a Maven project) once per
 * content of its sources: the jar lands in `<cache>/flink-job-<hash>/homeostat-flink-enrich.jar`,
 * where the hash covers the POM and every file under src/. A changed source builds a new jar; the
 * same source, on any checkout, finds the old one. Maven builds in a copy of the sources inside the
 * cache (the repository stays free of target/) with the project's local repository
 * (infra/maven.ts), so the Flink APIs it compiles against are fetched once from Maven Central.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { HomeostatError } from '../common/errors';
import { cacheDir, REPO_ROOT } from '../common/paths';
import { withCacheLock } from './cache-lock';
import { mavenRepoDir } from './maven';
import { runToCompletion } from './process';
import { log, longStep } from './step';
import { requireTool } from './toolchain';

export const ENRICH_JOB_DIR = path.join(REPO_ROOT, 'flink', 'enrich-job');
export const ENRICH_JOB_JAR = 'homeostat-flink-enrich.jar';
export const ENRICH_JOB_MAIN = 'dev.homeostat.flink.EnrichJob';

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** sha256 over the sorted relative paths and contents of pom.xml and src/, 16 hex digits. */
export function jobSourceHash(sourceDir = ENRICH_JOB_DIR): string {
  const files = [path.join(sourceDir, 'pom.xml'), ...filesUnder(path.join(sourceDir, 'src'))].sort();
  const h = crypto.createHash('sha256');
  for (const f of files) {
    h.update(path.relative(sourceDir, f).split(path.sep).join('/'));
    h.update('\0');
    h.update(fs.readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

export function jobJarPath(hash = jobSourceHash()): string {
  return path.join(cacheDir(), `flink-job-${hash}`, ENRICH_JOB_JAR);
}

/** The built jar of the enrich job; builds it with Maven when this source has never been built. */
export async function ensureEnrichJobJar(sourceDir = ENRICH_JOB_DIR): Promise<string> {
  const hash = jobSourceHash(sourceDir);
  const jar = jobJarPath(hash);
  if (fs.existsSync(jar)) {
    log(`[homeostat] Flink enrich job: cached (${jar})`);
    return jar;
  }
  return withCacheLock(cacheDir(), `flink-job-${hash}`, async () => {
    if (fs.existsSync(jar)) return jar;
    const mvn = requireTool('mvn');
    requireTool('java');
    const build = path.join(cacheDir(), `flink-job-${hash}.build.${process.pid}`);
    fs.rmSync(build, { recursive: true, force: true });
    try {
      fs.cpSync(path.join(sourceDir, 'pom.xml'), path.join(build, 'pom.xml'));
      fs.cpSync(path.join(sourceDir, 'src'), path.join(build, 'src'), { recursive: true });
      await longStep(`Flink enrich job: mvn package (source ${hash})`, () =>
        runToCompletion('mvn package (Flink enrich job)', 'nice', ['-n', '15', mvn, '-B', '-q', '-f', path.join(build, 'pom.xml'), `-Dmaven.repo.local=${mavenRepoDir()}`, 'package']),
      );
      const built = path.join(build, 'target', ENRICH_JOB_JAR);
      if (!fs.existsSync(built)) throw new HomeostatError('HS_PROVISION_FAILED', `mvn package finished but ${built} is missing`);
      fs.mkdirSync(path.dirname(jar), { recursive: true });
      // Rename last: a half-written jar never looks built.
      fs.copyFileSync(built, `${jar}.${process.pid}.tmp`);
      fs.renameSync(`${jar}.${process.pid}.tmp`, jar);
      return jar;
    } finally {
      fs.rmSync(build, { recursive: true, force: true });
    }
  });
}
