/**
 * Helpers for tests that run the live pipeline: a temp directory per pipeline, a tap on the
 * telemetry topic, a repair context, and a `waitUntil` that fails with what it was waiting for.
 * Nothing here asserts durations: timeouts only bound how long a test may hang.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RepairContext } from '../../activities/templates/template';
import type { PipelineHandle } from '../../simulator/pipeline';
import { telemetryRecord, type TelemetryRecord } from '../../sentinel/telemetry';

export function tempPipelineDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `hs-${prefix}-`));
}

export async function waitUntil<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Reads the telemetry topic incrementally; every record is validated with the sentinel's schema. */
export class TelemetryTap {
  private readonly positions = new Map<number, number>();
  readonly records: TelemetryRecord[] = [];
  readonly invalid: string[] = [];

  constructor(private readonly handle: PipelineHandle) {}

  async poll(): Promise<TelemetryRecord[]> {
    const topic = this.handle.topic('telemetry');
    const fresh: TelemetryRecord[] = [];
    for (const { partition, offset: end } of await this.handle.log.latestOffsets(topic)) {
      let from = this.positions.get(partition) ?? 0;
      while (from < end) {
        const batch = await this.handle.log.read(topic, partition, from, 5_000);
        if (batch.length === 0) break;
        for (const r of batch) {
          const parsed = telemetryRecord.safeParse(JSON.parse(r.value.toString('utf8')));
          if (parsed.success) fresh.push(parsed.data);
          else this.invalid.push(`${r.value.toString('utf8').slice(0, 200)}: ${parsed.error.message}`);
        }
        from = batch[batch.length - 1].offset + 1;
      }
      this.positions.set(partition, from);
    }
    this.records.push(...fresh);
    return fresh;
  }

  /** Skips everything published so far: later waits only see what happens next. */
  async mark(): Promise<number> {
    await this.poll();
    return this.records.length;
  }

  async waitFor(what: string, pred: (r: TelemetryRecord) => boolean, since = 0, timeoutMs = 60_000): Promise<TelemetryRecord> {
    return waitUntil(`telemetry: ${what}`, async () => {
      await this.poll();
      return this.records.slice(since).find(pred);
    }, timeoutMs, 300);
  }
}

export interface TestContext extends RepairContext {
  beats: unknown[];
}

export function repairContext(target: string, key: string, params: Record<string, unknown> = {}, faultClass = 'unknown'): TestContext {
  const beats: unknown[] = [];
  return {
    incidentId: `incident/demo/${target}`,
    pipeline: 'demo',
    target,
    faultClass,
    attempt: 1,
    idempotencyKey: key,
    params,
    beats,
    heartbeat: (d?: unknown) => void beats.push(d),
  };
}

export const isMetric = (component: string, signal: string, pred: (v: number) => boolean = () => true) => (r: TelemetryRecord): boolean =>
  r.kind === 'metric' && r.component === component && r.signal === signal && pred(r.value);

export const isEvent = (component: string, event: string) => (r: TelemetryRecord): boolean => r.kind === 'event' && r.component === component && r.event === event;
