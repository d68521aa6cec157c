/**
 * A stage that falls behind: its consumer lag grows steadily while its throughput sits below the
 * input rate. A control chart on the lag alarms once and then relearns the slope; the lag's
 * growth measured in seconds of the stage's own work keeps alarming, so the incident opens and
 * is named `lag`. Noise alone opens nothing.
 */
import type { LogRecord } from '../../bindings/log';
import type { IncidentAction } from '../../sentinel/component';
import { parseSentinelConfig } from '../../sentinel/config';
import { Engine } from '../../sentinel/engine';
import { registryFactory } from '../../sentinel/registry-factory';
import type { TelemetryRecord } from '../../sentinel/telemetry';
import { T0 } from './streams';

const SLOW_AT = 90;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** One report a second from `score`: eight metrics, as the live pipeline's stages send them. */
function stage(seconds: number, slowAt: number | undefined, seed = 11): TelemetryRecord[] {
  const rnd = lcg(seed);
  const noise = (): number => (rnd() + rnd() + rnd() - 1.5) * 2;
  const out: TelemetryRecord[] = [];
  for (let i = 0; i < seconds; i++) {
    const slow = slowAt !== undefined && i >= slowAt;
    const values: Record<string, number> = {
      throughput: (slow ? 70 : 100) + 5 * noise(),
      lag: Math.max(0, 10 + 6 * noise() + (slow ? 30 * (i - slowAt) : 0)),
      latency_ms: 40 + 3 * noise(),
      errors: 0,
      quarantined: 0,
      shed: 0,
      heartbeat: 1,
      rss_mb: 80 + noise(),
    };
    for (const [signal, value] of Object.entries(values)) out.push({ kind: 'metric', v: 1, ts: T0 + i * 1000, pipeline: 'p', component: 'score', signal, value });
  }
  return out;
}

function run(records: TelemetryRecord[]): IncidentAction[] {
  const engine = new Engine(parseSentinelConfig({}), registryFactory);
  const batch: LogRecord[] = records.map((r, i) => ({ topic: 't', partition: 0, offset: i, key: 'p', value: Buffer.from(JSON.stringify(r)), timestamp: 0, headers: {} }));
  return engine.processBatch({ topic: 't', partition: 0, records: batch, highWatermark: batch.length }).actions;
}

test('a lag that keeps growing opens a lag incident, and keeps sending evidence while it grows', () => {
  const actions = run(stage(200, SLOW_AT));
  const open = actions.find((a) => a.kind === 'open');
  expect(open?.input?.faultClass).toBe('lag');
  const openedAfter = (Date.parse(open!.evidence.at) - T0) / 1000 - SLOW_AT;
  expect(openedAfter).toBeGreaterThan(0);
  expect(openedAfter).toBeLessThan(45);
  // Still alarming a minute later: the anomaly persists as long as the stage falls behind.
  expect(actions.some((a) => a.kind === 'evidence' && Date.parse(a.evidence.at) - T0 > (SLOW_AT + 60) * 1000)).toBe(true);
});

test('a stage keeping up opens nothing', () => {
  for (const seed of [1, 2, 3]) expect(run(stage(200, undefined, seed)).filter((a) => a.kind === 'open')).toEqual([]);
});
