/**
 * `GET /trail/:pipeline/:component` on a real sentinel reading its log: per-second readings for a
 * component it owns, behind the bearer token, 400 naming the bad query field, 404 for a component
 * it does not own; and the worker's outcome-telemetry reader (built by buildWorkerDeps from the
 * health URL and token) parsing that answer, throwing on every refusal.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sentinelTrailReader } from '../../activities/sentinel-trail';
import { EmbeddedLog } from '../../bindings/log';
import { bearerFetch, BearerTokens } from '../../common/bearer-auth';
import { parseSentinelConfig } from '../../sentinel/config';
import { startHealthServer, type HealthServer } from '../../sentinel/http';
import { SentinelMetrics } from '../../sentinel/metrics';
import { registryFactory } from '../../sentinel/registry-factory';
import { Sentinel } from '../../sentinel/sentinel';
import type { TelemetryRecord } from '../../sentinel/telemetry';
import { buildWorkerDeps, DEFAULT_POLICY_FILE } from '../../workers/activity-deps';
import { asMessages, CountingOpener, tempDir, waitFor } from './harness';

const dir = tempDir('http-trail');
const topic = 'telemetry';
const TOKEN = 'trail-token-0123456789abcdef';
const T = Math.floor(Date.now() / 1000) * 1000 - 60_000;
let log: EmbeddedLog;
let sentinel: Sentinel;
let metrics: SentinelMetrics;
let server: HealthServer;
let base: string;

const metric = (ts: number, signal: string, value: number): TelemetryRecord => ({ kind: 'metric', v: 1, ts, pipeline: 'shop', component: 'score', signal, value, labels: { instance: 'score-0' } });

beforeAll(async () => {
  log = new EmbeddedLog({ file: path.join(dir, 'log.db') });
  const opener = new CountingOpener();
  sentinel = new Sentinel({ log, config: parseSentinelConfig({}), factory: registryFactory, opener, stateFile: path.join(dir, 'state.db'), topic, consumer: { pollMs: 10 } });
  await sentinel.start();
  metrics = new SentinelMetrics(sentinel);
  server = await startHealthServer(
    {
      views: () => sentinel.engine.monitors().map((m) => m.view()),
      trail: (pipeline, component, from, to) => sentinel.engine.monitorOf(pipeline, component)?.trail.readings(from, to),
      metrics,
      opener,
      log,
      topic,
      tokens: new BearerTokens({ value: TOKEN }),
    },
    0,
  );
  base = `http://127.0.0.1:${server.port}`;
  const recs: TelemetryRecord[] = [];
  for (let s = 0; s < 5; s++) {
    const ts = T + s * 1_000;
    recs.push(metric(ts, 'latency_ms', 40 + s), metric(ts + 10, 'throughput', 200), metric(ts + 20, 'shed', 20 * s));
    recs.push({ kind: 'model', v: 1, ts: ts + 30, pipeline: 'shop', component: 'score', signal: 'model.accuracy', accuracy: 0.9 - s / 100, n: 50 });
  }
  await log.append(topic, asMessages(recs));
  await waitFor(() => sentinel.engine.counters.records >= recs.length, 'the records to be read');
});

afterAll(async () => {
  await server?.close();
  await sentinel?.stop();
  metrics?.close();
  await log?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const get = (url: string, token: string | null = TOKEN): Promise<Response> => fetch(`${base}${url}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

test('200: the readings of the seconds asked for', async () => {
  const res = await get(`/trail/shop/score?from=${T + 1_000}&to=${T + 3_500}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { readings: { at: number; healthIndex?: number; latencyMs?: number; quality?: number; loss?: number }[] };
  expect(body.readings.map(({ healthIndex: _h, ...r }) => r)).toEqual([1, 2, 3].map((s) => ({ at: T + s * 1_000, latencyMs: 40 + s, quality: 0.9 - s / 100, loss: (20 * s) / 200 })));
  for (const r of body.readings) expect(r.healthIndex).toEqual(expect.any(Number));
  // A span beyond the trail's 10 minutes is clamped, not refused.
  expect((await get(`/trail/shop/score?from=0&to=${T + 10_000}`)).status).toBe(200);
});

test('401 without the token: the trail carries measurements', async () => {
  const res = await get(`/trail/shop/score?from=${T}&to=${T + 1_000}`, null);
  expect(res.status).toBe(401);
  expect((await get(`/trail/shop/score?from=${T}&to=${T + 1_000}`, 'not-the-token-0123456789')).status).toBe(401);
});

test.each([
  ['?to=5', 'from'],
  ['?from=&to=5', 'from'],
  ['?from=1&to=2.5', 'to'],
  ['?from=1&to=abc', 'to'],
  ['?from=10&to=5', 'to'],
])('400 for the query %s, naming %s', async (query, field) => {
  const res = await get(`/trail/shop/score${query}`);
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ field });
});

test('404 for a component or pipeline this sentinel does not own, and for a malformed path', async () => {
  for (const url of [`/trail/shop/nope?from=${T}&to=${T + 1}`, `/trail/elsewhere/score?from=${T}&to=${T + 1}`, `/trail/shop?from=${T}&to=${T + 1}`]) {
    expect((await get(url)).status).toBe(404);
  }
});

describe("the worker's reader", () => {
  test('buildWorkerDeps sets it from the health URL and token; it parses the answer', async () => {
    const deps = await buildWorkerDeps({ kbPath: path.join(dir, 'kb.db'), policyFile: DEFAULT_POLICY_FILE, healthUrl: base, healthToken: TOKEN });
    try {
      const read = deps.outcomeTelemetry;
      expect(read).toBeDefined();
      const readings = (await read?.({ pipeline: 'shop', component: 'score', from: T + 3_000, to: T + 4_999.5 })) ?? [];
      // The trail's seconds (the live health, when the range reaches the latest record, follows them).
      expect(readings.filter((r) => r.latencyMs !== undefined).map((r) => [r.at, r.latencyMs, r.quality, r.loss])).toEqual([
        [T + 3_000, 43, 0.87, 0.3],
        [T + 4_000, 44, 0.86, 0.4],
      ]);
    } finally {
      await deps.close();
    }
  });

  test("ends with the component's live health when it falls in the range asked for: the reading certainly after a quick verification", async () => {
    const view = (await (await get('/health/shop/score')).json()) as { healthIndex: number; lastRecordAt: string };
    const read = sentinelTrailReader(() => base, bearerFetch(TOKEN));
    const upToNow = await read({ pipeline: 'shop', component: 'score', from: T, to: Date.parse(view.lastRecordAt) + 60_000 });
    expect(upToNow.at(-1)).toEqual({ at: Date.parse(view.lastRecordAt), healthIndex: view.healthIndex });
    // A range that ends before the latest record gets the trail alone.
    const earlier = await read({ pipeline: 'shop', component: 'score', from: T, to: T + 1_000 });
    expect(earlier.every((r) => r.at <= T + 1_000)).toBe(true);
  });

  test('throws on a refusal, an unknown component, a missing URL or an answer it does not understand', async () => {
    const q = { pipeline: 'shop', component: 'score', from: T, to: T + 1_000 };
    await expect(sentinelTrailReader(() => base)(q)).rejects.toThrow(/answered 401/);
    await expect(sentinelTrailReader(() => base, bearerFetch(TOKEN))({ ...q, component: 'nope' })).rejects.toThrow(/answered 404/);
    await expect(sentinelTrailReader(() => undefined, bearerFetch(TOKEN))(q)).rejects.toThrow(/no sentinel URL/);
    await expect(sentinelTrailReader(() => base, bearerFetch(TOKEN))(q)).resolves.toHaveLength(2);
    // Sent to the health route, which answers 200 with another shape: not readings.
    const toHealth: typeof fetch = (_input, init) => bearerFetch(TOKEN)(`${base}/health/shop/score`, init);
    await expect(sentinelTrailReader(() => base, toHealth)(q)).rejects.toThrow(/not understood/);
  });

  test('without any sentinel URL the worker has no reader', async () => {
    const saved = process.env.HOMEOSTAT_HEALTH_URL;
    delete process.env.HOMEOSTAT_HEALTH_URL;
    const deps = await buildWorkerDeps({ kbPath: path.join(dir, 'kb2.db'), policyFile: DEFAULT_POLICY_FILE });
    try {
      expect(deps.outcomeTelemetry).toBeUndefined();
    } finally {
      await deps.close();
      if (saved !== undefined) process.env.HOMEOSTAT_HEALTH_URL = saved;
    }
  });
});
