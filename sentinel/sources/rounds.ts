/**
 * What the pull sources (Prometheus, Flink) share: rounds on an interval that never overlap, and
 * one telemetry message per pipeline and round, keyed by pipeline like every other producer.
 */
import type { Log } from '../../bindings/log/types';
import type { TelemetryRecord } from '../telemetry';

/** A source that reads something on an interval and publishes what it read as telemetry. */
export abstract class PullSource {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();

  protected constructor(
    private readonly intervalMs: number,
    private readonly name: string,
    private readonly onError: (line: string) => void,
  ) {}

  /** One read at `now`: publishes the records and returns them. */
  abstract round(now?: number): Promise<TelemetryRecord[]>;

  start(): void {
    this.timer = setInterval(() => {
      // A slow round delays the next instead of piling up behind it.
      this.running = this.running.then(async () => void (await this.round())).catch((err: unknown) => this.onError(`${this.name} source: ${(err as Error).message}`));
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for the round in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}

/** One message (an array of records) for the pipeline's round on the telemetry topic. */
export async function publishRound(log: Log, topic: string, pipeline: string, records: readonly TelemetryRecord[], now: number): Promise<void> {
  await log.append(topic, [{ key: pipeline, value: JSON.stringify(records), timestamp: now }]);
}
