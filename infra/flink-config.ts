/**
 * The configuration a local Flink session cluster runs with (infra/flink.ts): everything on
 * loopback, one JobManager and one TaskManager with a few slots, checkpoints and savepoints in the
 * cluster's state directory (retained on cancel, several kept, so an older one can be restored
 * when the latest is corrupt), memory sized for a shared 2-core machine, and heartbeats short
 * enough that a killed TaskManager is noticed in seconds rather than the default 50 s.
 */
import path from 'node:path';

export interface FlinkMemory {
  /** -Xmx of the JobManager JVM. */
  jobManagerHeapMb: number;
  taskHeapMb: number;
  frameworkHeapMb: number;
  taskOffHeapMb: number;
  frameworkOffHeapMb: number;
  networkMb: number;
  managedMb: number;
  metaspaceMb: number;
}

/** Small: a hashmap state backend needs no managed memory; the job's state is a few keys. */
export const FLINK_MEMORY: FlinkMemory = {
  jobManagerHeapMb: 256,
  taskHeapMb: 192,
  frameworkHeapMb: 64,
  taskOffHeapMb: 32,
  frameworkOffHeapMb: 64,
  networkMb: 32,
  managedMb: 16,
  metaspaceMb: 192,
};

export interface FlinkConfigInput {
  stateDir: string;
  restPort: number;
  rpcPort: number;
  blobPort: number;
  slots: number;
  /** Restart attempts of a failed job before it is FAILED for good (fixed delay). */
  restartAttempts: number;
  restartDelayMs: number;
  /** How many completed checkpoints each job keeps (older ones are the fallback for corrupt state). */
  retainedCheckpoints: number;
}

export interface FlinkLayout {
  confDir: string;
  checkpointDir: string;
  savepointDir: string;
  logDir: string;
  tmpDir: string;
  webDir: string;
}

export function flinkLayout(stateDir: string): FlinkLayout {
  return {
    confDir: path.join(stateDir, 'conf'),
    checkpointDir: path.join(stateDir, 'checkpoints'),
    savepointDir: path.join(stateDir, 'savepoints'),
    logDir: path.join(stateDir, 'log'),
    tmpDir: path.join(stateDir, 'tmp'),
    webDir: path.join(stateDir, 'web'),
  };
}

/** Flat keys: Flink 2's config.yaml accepts them beside nested ones. */
export function flinkConfigYaml(o: FlinkConfigInput): string {
  const l = flinkLayout(o.stateDir);
  const m = FLINK_MEMORY;
  const entries: Record<string, string | number | boolean> = {
    'jobmanager.rpc.address': '127.0.0.1',
    'jobmanager.rpc.port': o.rpcPort,
    'jobmanager.bind-host': '127.0.0.1',
    'jobmanager.memory.heap.size': `${m.jobManagerHeapMb}m`,
    'jobmanager.memory.off-heap.size': '64m',
    'jobmanager.memory.jvm-metaspace.size': `${m.metaspaceMb}m`,
    'jobmanager.execution.failover-strategy': 'region',
    'taskmanager.bind-host': '127.0.0.1',
    'taskmanager.host': '127.0.0.1',
    'taskmanager.rpc.port': 0,
    'taskmanager.data.port': 0,
    'taskmanager.numberOfTaskSlots': o.slots,
    // A fixed id: a TaskManager started again after a crash is the same worker to the operator.
    'taskmanager.resource-id': 'homeostat-tm-1',
    // TaskManagerRunner started without Flink's shell scripts needs every component spelled out.
    'taskmanager.cpu.cores': o.slots,
    'taskmanager.memory.framework.heap.size': `${m.frameworkHeapMb}m`,
    'taskmanager.memory.task.heap.size': `${m.taskHeapMb}m`,
    'taskmanager.memory.framework.off-heap.size': `${m.frameworkOffHeapMb}m`,
    'taskmanager.memory.task.off-heap.size': `${m.taskOffHeapMb}m`,
    'taskmanager.memory.network.min': `${m.networkMb}m`,
    'taskmanager.memory.network.max': `${m.networkMb}m`,
    'taskmanager.memory.managed.size': `${m.managedMb}m`,
    'taskmanager.memory.jvm-metaspace.size': `${m.metaspaceMb}m`,
    'taskmanager.memory.jvm-overhead.min': '64m',
    'taskmanager.memory.jvm-overhead.max': '64m',
    'rest.address': '127.0.0.1',
    'rest.bind-address': '127.0.0.1',
    'rest.port': o.restPort,
    'blob.server.port': o.blobPort,
    'parallelism.default': 1,
    'high-availability.type': 'NONE',
    'state.backend.type': 'hashmap',
    'execution.checkpointing.storage': 'filesystem',
    'execution.checkpointing.dir': `file://${l.checkpointDir}`,
    'execution.checkpointing.savepoint-dir': `file://${l.savepointDir}`,
    'execution.checkpointing.num-retained': o.retainedCheckpoints,
    'execution.checkpointing.externalized-checkpoint-retention': 'RETAIN_ON_CANCELLATION',
    'restart-strategy.type': 'fixed-delay',
    'restart-strategy.fixed-delay.attempts': o.restartAttempts,
    'restart-strategy.fixed-delay.delay': `${o.restartDelayMs} ms`,
    // A dead TaskManager is declared lost after 10 s (default 50 s); a job without slots fails
    // its attempt after 20 s instead of waiting five minutes.
    'heartbeat.interval': 2000,
    'heartbeat.timeout': 10000,
    'slot.request.timeout': 20000,
    // REST metric answers at most a second old (default 10 s): probes read them.
    'metrics.fetcher.update-interval': 1000,
    'web.submit.enable': true,
    'web.cancel.enable': true,
    'web.tmpdir': l.webDir,
    'web.upload.dir': l.webDir,
    'io.tmp.dirs': l.tmpDir,
    'classloader.check-leaked-classloader': false,
  };
  return `# Generated by Homeostat (infra/flink-config.ts); rewritten on every start.\n${Object.entries(entries)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
    .join('\n')}\n`;
}

/** Console only (the process's log file); INFO for Flink's own job, checkpoint and slot lines. */
export const FLINK_LOG4J = `# Generated by Homeostat (infra/flink-config.ts)
rootLogger.level = INFO
rootLogger.appenderRef.console.ref = ConsoleAppender
appender.console.name = ConsoleAppender
appender.console.type = CONSOLE
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} - %m%n
logger.pekko.name = org.apache.pekko
logger.pekko.level = WARN
logger.kafka.name = org.apache.kafka
logger.kafka.level = WARN
logger.shaded.name = org.apache.flink.shaded
logger.shaded.level = WARN
logger.netty.name = org.jboss.netty.channel.DefaultChannelPipeline
logger.netty.level = OFF
`;

/** JVM flags per process; the heap and direct-memory limits match the configuration above. */
export function jobManagerJvmFlags(): string[] {
  const m = FLINK_MEMORY;
  return [`-Xms${m.jobManagerHeapMb}m`, `-Xmx${m.jobManagerHeapMb}m`, '-XX:MaxDirectMemorySize=64m', `-XX:MaxMetaspaceSize=${m.metaspaceMb}m`];
}

export function taskManagerJvmFlags(): string[] {
  const m = FLINK_MEMORY;
  const heap = m.taskHeapMb + m.frameworkHeapMb;
  const direct = m.taskOffHeapMb + m.frameworkOffHeapMb + m.networkMb;
  return [`-Xms${heap}m`, `-Xmx${heap}m`, `-XX:MaxDirectMemorySize=${direct}m`, `-XX:MaxMetaspaceSize=${m.metaspaceMb}m`];
}

/** Shared by both JVMs: serial GC and C1 only start faster and leave the second core to others. */
export const FLINK_COMMON_JVM_FLAGS = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true'];
