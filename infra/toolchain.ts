/**
 * Finds the toolchains provisioning builds with (go, java, mvn). A missing one is a user-facing
 * situation, not a bug: it raises one HS_TOOLCHAIN_MISSING message that names the tool and the
 * way around it, and never a stack trace.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HomeostatError } from '../common/errors';

export type Tool = 'go' | 'java' | 'mvn';

/** What each tool is needed for, and how to do without it. */
const ALTERNATIVES: Record<Tool, { neededFor: string; alternative: string }> = {
  go: {
    neededFor: 'to build the Temporal CLI (dev server)',
    alternative:
      'install Go 1.22+, or set TEMPORAL_CLI_PATH to an existing `temporal` binary, or set TEMPORAL_ADDRESS to a running Temporal server (host:port)',
  },
  java: {
    neededFor: 'to run the Temporal time-skipping test server and the Kafka broker',
    alternative:
      'install a Java 17+ JDK, or set TEMPORAL_ADDRESS to a running Temporal server and KAFKA_BROKERS to a running Kafka (host:port,…)',
  },
  mvn: {
    neededFor: 'to fetch the Temporal test server and Kafka from Maven Central',
    alternative:
      'install Maven 3.8+, or set TEMPORAL_ADDRESS to a running Temporal server and KAFKA_BROKERS to a running Kafka (host:port,…)',
  },
};

/** Looks a command up on PATH without spawning a shell; undefined when absent. */
export function findOnPath(command: string, searchPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // Not in this directory: keep looking.
    }
  }
  return undefined;
}

/** Absolute path of a tool, or HS_TOOLCHAIN_MISSING naming what is missing and the alternative. */
export function requireTool(tool: Tool): string {
  const found = tool === 'java' ? findJava() : findOnPath(tool);
  if (found) return found;
  const { neededFor, alternative } = ALTERNATIVES[tool];
  throw new HomeostatError(
    'HS_TOOLCHAIN_MISSING',
    `\`${tool}\` was not found on PATH; it is needed ${neededFor}. To continue: ${alternative}.`,
    { tool },
  );
}

/** JAVA_HOME wins over PATH, as for every other Java tool. */
function findJava(): string | undefined {
  const home = process.env.JAVA_HOME;
  if (home) {
    const candidate = path.join(home, 'bin', 'java');
    if (fs.existsSync(candidate)) return candidate;
  }
  return findOnPath('java');
}
