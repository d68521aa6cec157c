/**
 * Telemetry of the live pipeline: every process (and the pipeline host, for what a dead or hung
 * process cannot say about itself) buffers records and appends them to the telemetry topic of
 * the same log, keyed by pipeline so one sentinel partition sees a whole pipeline.
 *
 * The record shapes are built in `telemetry-records.ts`, the only place that knows the sentinel's
 * schema.
 */
import type { Log } from '../bindings/log/types';
import { buildRecord, type SimSignal } from './telemetry-records';

export type { SimSignal } from './telemetry-records';

export class TelemetryEmitter {
  private buffer: SimSignal[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly log: Log,
    private readonly topic: string,
    private readonly pipeline: string,
    private readonly source: { component: string; instance: string },
    everyMs: number,
  ) {
    this.timer = setInterval(() => void this.flush(), everyMs);
    this.timer.unref();
  }

  emit(signal: SimSignal): void {
    this.buffer.push(signal);
  }

  /** Appends what is buffered; failures keep the records for the next flush (bounded). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.buffer.length === 0) return;
      const batch = this.buffer;
      this.buffer = [];
      const now = Date.now();
      try {
        await this.log.append(
          this.topic,
          batch.map((s) => ({ key: this.pipeline, value: JSON.stringify(buildRecord(this.pipeline, this.source, s, now)), timestamp: now })),
        );
      } catch {
        // The log is briefly unavailable (Kafka leader move): keep the newest records, drop the oldest.
        this.buffer = [...batch, ...this.buffer].slice(-5_000);
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }
}
