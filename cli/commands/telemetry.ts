/**
 * `homeostat telemetry …`: telemetry from the command line, for operators testing an integration
 * and for drills.
 *   validate       checks JSON lines on stdin as the sentinel would; every error with its line, field and rule
 *   send           publishes each line of stdin as one message to the telemetry topic (`--raw`: byte for byte)
 *   dead-letters   lists what the sentinel dead-lettered, with reason, field, rule and source offset
 * The log, its file or brokers and the topic default as for `homeostat sentinel`, so the commands
 * reach the stack that is running.
 */
import fs from 'node:fs';
import { type Command } from 'commander';
import { z } from 'zod';
import { defaultEmbeddedLogFile, openLog, readDeadLetters, type Log } from '../../bindings/log';
import { HomeostatError } from '../../common/errors';
import { loadSentinelConfig } from '../../sentinel/config';
import { publishRaw } from '../../sentinel/publish';
import { DEFAULT_TELEMETRY_TOPIC } from '../../sentinel/sentinel';
import { recordIssues, type RecordChecks } from '../../sentinel/validate';
import { parseFlags, print } from '../flags';
import { table } from '../incident-view';

const LogFlags = {
  log: z.enum(['embedded', 'kafka']).optional(),
  brokers: z.string().optional(),
  logFile: z.string().optional(),
  topic: z.string().min(1).optional(),
  json: z.boolean().default(false),
};

interface LineError {
  line: number;
  field: string;
  rule: string;
  message: string;
}

/** Lines of stdin as byte buffers (the newline dropped; blank lines skipped), with their 1-based numbers. */
function stdinLines(): { line: number; bytes: Buffer }[] {
  const all = fs.readFileSync(0);
  const out: { line: number; bytes: Buffer }[] = [];
  let start = 0;
  for (let n = 1; start <= all.length; n++) {
    let end = all.indexOf(0x0a, start);
    if (end < 0) end = all.length;
    const bytes = all.subarray(start, end);
    if (bytes.toString('utf8').trim() !== '') out.push({ line: n, bytes });
    start = end + 1;
  }
  return out;
}

/** Every problem of one line: JSON, then each record (or batch element) against the schema, the time window and the caps. */
function lineErrors(line: number, bytes: Buffer, checks: RecordChecks): { records: number; errors: LineError[] } {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    return { records: 0, errors: [{ line, field: '(root)', rule: 'json', message: `not JSON (${(err as Error).message})` }] };
  }
  const items = Array.isArray(value) ? value.map((v, i) => ({ v, prefix: `[${i}]` })) : [{ v: value, prefix: '' }];
  if (items.length === 0) return { records: 0, errors: [{ line, field: '(root)', rule: 'empty', message: 'empty batch' }] };
  const errors: LineError[] = [];
  let records = 0;
  for (const { v, prefix } of items) {
    const issues = recordIssues(v, checks, prefix);
    if (issues.length === 0) records++;
    for (const i of issues) errors.push({ line, field: i.field, rule: i.rule, message: i.reason.slice(i.field.length + 2) });
  }
  return { records, errors };
}

function checksFrom(config: string | undefined, now: string | undefined): RecordChecks {
  const at = now === undefined ? Date.now() : Number(now);
  if (!Number.isSafeInteger(at) || at < 0) throw new HomeostatError('HS_INVALID_INPUT', `--now must be epoch milliseconds, got "${now}"`);
  return { limits: loadSentinelConfig(config).limits, now: at };
}

function openTelemetryLog(f: { log?: string; brokers?: string; logFile?: string }): Log {
  const kind = f.log ?? process.env.HOMEOSTAT_SENTINEL_LOG ?? 'embedded';
  if (kind === 'kafka') {
    const brokers = (f.brokers ?? process.env.HOMEOSTAT_KAFKA_BROKERS ?? process.env.KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean);
    if (brokers.length === 0) throw new HomeostatError('HS_INVALID_INPUT', '--log kafka needs --brokers host:port[,host:port] (or HOMEOSTAT_KAFKA_BROKERS)');
    return openLog({ kind: 'kafka', brokers, clientId: 'homeostat-cli' });
  }
  if (kind !== 'embedded') throw new HomeostatError('HS_INVALID_INPUT', `--log must be embedded or kafka, got "${kind}"`);
  return openLog({ kind: 'embedded', file: f.logFile ?? defaultEmbeddedLogFile() });
}

const topicOf = (t: string | undefined): string => t ?? process.env.HOMEOSTAT_TELEMETRY_TOPIC ?? DEFAULT_TELEMETRY_TOPIC;

/** `15m`, `2h`, `1d`, `30s` before now, or an ISO-8601 time. */
export function parseSince(s: string, now = Date.now()): number {
  const m = /^(\d+)\s*(ms|s|m|h|d)$/.exec(s.trim());
  if (m) return now - Number(m[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new HomeostatError('HS_INVALID_INPUT', `--since must be a duration (30s, 15m, 2h, 1d) or an ISO-8601 time, got "${s}"`);
  return t;
}

export function register(program: Command): void {
  const telemetry = program.command('telemetry').description('validate, send and inspect telemetry (JSON lines on stdin)');
  const logOptions = (c: Command): Command =>
    c
      .option('--log <kind>', 'embedded | kafka (env HOMEOSTAT_SENTINEL_LOG; default embedded)')
      .option('--brokers <list>', 'Kafka brokers host:port,… (env HOMEOSTAT_KAFKA_BROKERS)')
      .option('--log-file <file>', 'embedded log SQLite file (env HOMEOSTAT_LOG_FILE; default .homeostat/log.db)')
      .option('--topic <name>', `telemetry topic (env HOMEOSTAT_TELEMETRY_TOPIC; default ${DEFAULT_TELEMETRY_TOPIC})`)
      .option('--json', 'print JSON');

  telemetry
    .command('validate')
    .description('check telemetry records on stdin (one JSON record or array per line); prints every error with its line, field and rule')
    .option('--config <file>', 'sentinel config whose caps and time window apply (default: the built-in defaults)')
    .option('--now <ms>', "the clock the time window is centred on, epoch ms (default: this machine's)")
    .option('--json', 'print JSON')
    .action((raw: unknown) => {
      const f = parseFlags(z.object({ config: z.string().optional(), now: z.string().optional(), json: z.boolean().default(false) }), raw);
      const checks = checksFrom(f.config, f.now);
      const lines = stdinLines();
      const errors: LineError[] = [];
      let records = 0;
      for (const l of lines) {
        const r = lineErrors(l.line, l.bytes, checks);
        records += r.records;
        errors.push(...r.errors);
      }
      print(f.json, { lines: lines.length, records, errors }, () => {
        const summary = `${lines.length} line(s), ${records} valid record(s), ${errors.length} error(s)`;
        return errors.length === 0 ? summary : `${table(errors.map((e) => ({ line: String(e.line), field: e.field, rule: e.rule, message: e.message })), ['line', 'field', 'rule', 'message'])}\n${summary}`;
      });
      if (errors.length > 0) process.exitCode = 2;
    });

  logOptions(
    telemetry
      .command('send')
      .description('publish each line of stdin as one message to the telemetry topic; refuses invalid lines unless --raw')
      .option('--raw', 'send every line byte for byte, valid or not (to try out bad input)'),
  ).action(async (raw: unknown) => {
    const f = parseFlags(z.object({ ...LogFlags, raw: z.boolean().default(false) }), raw);
    const lines = stdinLines();
    if (!f.raw) {
      const checks = checksFrom(undefined, undefined);
      const errors = lines.flatMap((l) => lineErrors(l.line, l.bytes, checks).errors);
      if (errors.length > 0) {
        const where = errors.slice(0, 10).map((e) => `line ${e.line} ${e.field} (${e.rule}): ${e.message}`);
        throw new HomeostatError('HS_INVALID_INPUT', `nothing sent: ${errors.length} error(s) (check with \`homeostat telemetry validate\`, or send as they are with --raw): ${where.join('; ')}`);
      }
    }
    const topic = topicOf(f.topic);
    const log = openTelemetryLog(f);
    try {
      const results = await publishRaw(log, topic, lines.map((l) => l.bytes));
      const byPartition = new Map<number, { partition: number; messages: number; first: number; last: number }>();
      for (const r of results) {
        const p = byPartition.get(r.partition) ?? { partition: r.partition, messages: 0, first: r.offset, last: r.offset };
        p.messages++;
        p.first = Math.min(p.first, r.offset);
        p.last = Math.max(p.last, r.offset);
        byPartition.set(r.partition, p);
      }
      const partitions = [...byPartition.values()].sort((a, b) => a.partition - b.partition);
      print(f.json, { topic, log: log.kind, sent: results.length, partitions }, () => {
        const rows = partitions.map((p) => ({ partition: String(p.partition), messages: String(p.messages), offsets: `${p.first}–${p.last}` }));
        return `${table(rows, ['partition', 'messages', 'offsets'])}\nsent ${results.length} message(s) to ${topic} (${log.kind} log)`;
      });
    } finally {
      await log.close();
    }
  });

  logOptions(
    telemetry
      .command('dead-letters')
      .description('list dead-lettered messages with their reason, field, rule and source offset, oldest first')
      .option('--since <when>', 'only those dead-lettered since: a duration (30s, 15m, 2h, 1d) or an ISO-8601 time')
      .option('--limit <n>', 'only the newest n'),
  ).action(async (raw: unknown) => {
    const f = parseFlags(z.object({ ...LogFlags, since: z.string().optional(), limit: z.coerce.number().int().positive().optional() }), raw);
    const topic = topicOf(f.topic);
    const log = openTelemetryLog(f);
    try {
      const entries = await readDeadLetters(log, topic, { ...(f.since !== undefined ? { since: parseSince(f.since) } : {}), ...(f.limit !== undefined ? { limit: f.limit } : {}) });
      const rows = entries.map((e) => ({
        at: new Date(e.at).toISOString(),
        reason: e.reason,
        field: e.field ?? '',
        rule: e.rule ?? '',
        source: { topic: e.source?.topic ?? '', partition: e.source?.partition ?? null, offset: e.source?.offset ?? null },
        key: e.key ?? null,
        value: e.value.toString('utf8'),
        valueBase64: e.value.toString('base64'),
        bytes: e.value.length,
      }));
      print(f.json, { topic, deadLetters: rows }, () => {
        const shown = rows.map((r) => ({
          at: r.at,
          field: r.field,
          rule: r.rule,
          source: `${r.source.topic}[${r.source.partition ?? '-'}]@${r.source.offset ?? '-'}`,
          reason: r.reason.length > 100 ? `${r.reason.slice(0, 99)}…` : r.reason,
        }));
        return `${table(shown, ['at', 'field', 'rule', 'source', 'reason'])}\n${rows.length} dead letter(s) of ${topic}`;
      });
    } finally {
      await log.close();
    }
  });
}
