/**
 * The sentinel's HTTP API behind bearer tokens: missing and wrong tokens get 401 and are counted
 * in /metrics; several tokens are valid at once and a token file is re-read (rotation); /health
 * and /metrics are open only when configured so; a non-loopback bind without a token refuses to
 * start; oversized notifications are refused whole with the limit that was exceeded; repeats
 * within the debounce window are acknowledged but not forwarded; a notification in exactly the
 * shape Alertmanager 0.25 sends (its headers and every field of its webhook body) is accepted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { EmbeddedLog } from '../../bindings/log';
import { BearerTokens } from '../../common/bearer-auth';
import { parseSentinelConfig } from '../../sentinel/config';
import { httpSettings } from '../../sentinel/config-limits';
import { startHealthServer, type HealthServer, type HttpDeps } from '../../sentinel/http';
import { SentinelMetrics } from '../../sentinel/metrics';
import { registryFactory } from '../../sentinel/registry-factory';
import { Sentinel } from '../../sentinel/sentinel';
import { CountingOpener, tempDir } from './harness';

const dir = tempDir('http-auth');
const TOKEN_A = 'token-a-0123456789abcdef0123';
const TOKEN_B = 'token-b-0123456789abcdef0123';
const tokenFile = path.join(dir, 'tokens');
let log: EmbeddedLog;
let sentinel: Sentinel;
let metrics: SentinelMetrics;
let opener: CountingOpener;
const servers: HealthServer[] = [];

beforeAll(async () => {
  log = new EmbeddedLog({ file: path.join(dir, 'log.db') });
  opener = new CountingOpener();
  sentinel = new Sentinel({ log, config: parseSentinelConfig({}), factory: registryFactory, opener, stateFile: path.join(dir, 'state.db'), topic: 'telemetry', consumer: { pollMs: 10 } });
  await sentinel.start();
  metrics = new SentinelMetrics(sentinel);
});

afterAll(async () => {
  for (const s of servers) await s.close();
  await sentinel?.stop();
  metrics?.close();
  await log?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function serve(extra: Partial<HttpDeps>, host?: string): Promise<string> {
  const server = await startHealthServer({ views: () => [], metrics, opener, log, topic: 'telemetry', ...extra }, 0, host);
  servers.push(server);
  return `http://127.0.0.1:${server.port}`;
}

const bearer = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });
const post = (base: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${base}/alertmanager`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });

async function unauthorizedTotal(base: string, token: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`, { headers: bearer(token) })).text();
  return Number(/^homeostat_sentinel_http_unauthorized_total (\d+)/m.exec(text)?.[1]);
}

let seq = 0;
function notification(alerts: number, labels: Record<string, string> = {}): Record<string, unknown> {
  const pipeline = `auth${++seq}`;
  return {
    version: '4',
    status: 'firing',
    commonLabels: { alertname: 'HighLag', pipeline },
    alerts: Array.from({ length: alerts }, (_, i) => ({ status: 'firing', labels: { component: `c${i}`, ...labels }, annotations: { summary: 'lag' } })),
  };
}

describe('bearer tokens', () => {
  let base: string;
  beforeAll(async () => {
    fs.writeFileSync(tokenFile, `# rotated monthly\n${TOKEN_A}\n`);
    // Re-read at every request (0 ms), so the rotation below shows at once.
    base = await serve({ tokens: new BearerTokens({ file: tokenFile, value: TOKEN_B }, 0) });
  });

  it('a request without a token or with a wrong one gets 401 on every endpoint, and is counted', async () => {
    const before = await unauthorizedTotal(base, TOKEN_A);
    const refused = [
      await post(base, notification(1)),
      await post(base, notification(1), bearer('not-the-token-0123456789')),
      await post(base, notification(1), { authorization: `Basic ${Buffer.from(`x:${TOKEN_A}`).toString('base64')}` }),
      await fetch(`${base}/health`),
      await fetch(`${base}/metrics`, { headers: bearer(`${TOKEN_A}x`) }),
      await fetch(`${base}/openlineage`, { method: 'POST', body: '{}' }),
    ];
    expect(refused.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(refused[0]!.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(((await refused[0]!.json()) as { error: string }).error).toMatch(/missing bearer token/);
    expect(((await refused[1]!.json()) as { error: string }).error).toBe('bearer token not accepted');
    expect(await unauthorizedTotal(base, TOKEN_A)).toBe(before + refused.length);
    expect(opener.opens.filter((o) => o.input.pipeline.startsWith('auth'))).toHaveLength(0);
  });

  it('every configured token is accepted (file and environment), so clients can move over one by one', async () => {
    for (const t of [TOKEN_A, TOKEN_B]) {
      const res = await post(base, notification(1), bearer(t));
      expect(res.status).toBe(200);
      expect(((await res.json()) as { opened: string[] }).opened).toHaveLength(1);
    }
    expect((await fetch(`${base}/health`, { headers: { authorization: `bearer ${TOKEN_B}` } })).status).toBe(200);
  });

  it('a token removed from the file stops working; a new one works without a restart', async () => {
    const TOKEN_C = 'token-c-0123456789abcdef0123';
    fs.writeFileSync(tokenFile, `${TOKEN_C}\n`);
    expect((await fetch(`${base}/health`, { headers: bearer(TOKEN_A) })).status).toBe(401);
    expect((await fetch(`${base}/health`, { headers: bearer(TOKEN_C) })).status).toBe(200);
    // A file that cannot be read opens nothing: only the environment's token still works.
    fs.rmSync(tokenFile);
    expect((await fetch(`${base}/health`, { headers: bearer(TOKEN_C) })).status).toBe(401);
    expect((await fetch(`${base}/health`, { headers: bearer(TOKEN_B) })).status).toBe(200);
  });

  it('refuses tokens too short to be secret', () => {
    expect(() => new BearerTokens({ value: 'short' })).toThrow(/shorter than 16 characters/);
  });
});

describe('open endpoints and the bind address', () => {
  it('/health and /metrics are open only when configured, the webhook never', async () => {
    const base = await serve({ tokens: new BearerTokens({ value: TOKEN_A }), open: ['health'] });
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await post(base, notification(1))).status).toBe(401);
    const both = await serve({ tokens: new BearerTokens({ value: TOKEN_A }), open: ['health', 'metrics'] });
    expect((await fetch(`${both}/metrics`)).status).toBe(200);
    expect((await post(both, notification(1))).status).toBe(401);
  });

  it('refuses to listen beyond loopback without a token, and listens with one', async () => {
    await expect(startHealthServer({ views: () => [], metrics, opener, log, topic: 'telemetry' }, 0, '0.0.0.0')).rejects.toThrow(/refusing to listen on 0\.0\.0\.0 without a bearer token/);
    const base = await serve({ tokens: new BearerTokens({ value: TOKEN_A }) }, '0.0.0.0');
    expect((await fetch(`${base}/health`, { headers: bearer(TOKEN_A) })).status).toBe(200);
  });
});

describe('caps and debouncing', () => {
  let base: string;
  beforeAll(async () => {
    base = await serve({ tokens: new BearerTokens({ value: TOKEN_A }), settings: httpSettings.parse({ maxAlertsPerRequest: 5, maxLabels: 6, maxLabelBytes: 64, alertDebounceMs: 60_000 }) });
  });

  it('an oversized batch, too many labels or a too-long label is refused whole, with the limit', async () => {
    const before = opener.opens.length;
    const cases = [
      { body: notification(6), reason: /6 alerts in one request, more than http\.maxAlertsPerRequest \(5\)/, limit: 5 },
      { body: notification(1, { a: '1', b: '2', c: '3', d: '4', e: '5' }), reason: /alerts\.0\.labels: 8 labels, more than http\.maxLabels \(6\)/, limit: 6 },
      { body: notification(1, { note: 'x'.repeat(65) }), reason: /alerts\.0\.labels\.note: 65 bytes, more than http\.maxLabelBytes \(64\)/, limit: 64 },
    ];
    for (const c of cases) {
      const res = await post(base, c.body, bearer(TOKEN_A));
      expect(res.status).toBe(413);
      const body = (await res.json()) as { error: string; rule: string; limit: number };
      expect(body.error).toMatch(c.reason);
      expect(body).toMatchObject({ rule: 'too_big', limit: c.limit });
    }
    expect(opener.opens.length).toBe(before);
  });

  it('an alert repeated within the window is acknowledged but not forwarded; its resolution is', async () => {
    const n = notification(2);
    const first = (await (await post(base, n, bearer(TOKEN_A))).json()) as { opened: string[]; debounced: number };
    expect(first).toMatchObject({ debounced: 0 });
    expect(first.opened).toHaveLength(2);
    const again = (await (await post(base, n, bearer(TOKEN_A))).json()) as { opened: string[]; debounced: number };
    expect(again).toEqual({ opened: [], evidence: [], ignored: [], debounced: 2 });
    const resolved = { ...n, status: 'resolved', alerts: (n.alerts as Record<string, unknown>[]).map((a) => ({ ...a, status: 'resolved' })) };
    const res = (await (await post(base, resolved, bearer(TOKEN_A))).json()) as { debounced: number };
    expect(res.debounced).toBe(0);
    const text = await (await fetch(`${base}/metrics`, { headers: bearer(TOKEN_A) })).text();
    expect(Number(/^homeostat_sentinel_alerts_debounced_total (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(2);
  });
});

it('accepts a notification exactly as Alertmanager 0.25 sends it (headers and every field of the body)', async () => {
  const base = await serve({ tokens: new BearerTokens({ value: TOKEN_A }) });
  const pipeline = 'amshape';
  // Alertmanager's webhook body (notify/webhook, version 4), field for field, with the
  // `Authorization` header its http_config.authorization produces.
  const body = {
    receiver: 'homeostat',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'ComponentDown', component: 'score', fault: 'crash', pipeline, severity: 'page' },
        annotations: { summary: 'score stopped answering Prometheus scrapes' },
        startsAt: '2026-12-03T10:11:12.345Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph?g0.expr=up%7Bcomponent%3D%22score%22%7D+%3D%3D+0&g0.tab=1',
        fingerprint: '4e1b1cbd6f7e2a5c',
      },
    ],
    groupLabels: { alertname: 'ComponentDown', pipeline },
    commonLabels: { alertname: 'ComponentDown', component: 'score', fault: 'crash', pipeline, severity: 'page' },
    commonAnnotations: { summary: 'score stopped answering Prometheus scrapes' },
    externalURL: 'http://alertmanager:9093',
    version: '4',
    groupKey: `{}:{alertname="ComponentDown", pipeline="${pipeline}"}`,
    truncatedAlerts: 0,
  };
  const res = await post(base, body, { ...bearer(TOKEN_A), 'user-agent': 'Alertmanager/0.25.0' });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { opened: string[] }).opened).toEqual([`${pipeline}/score`]);
  const opened = opener.opens.find((o) => o.input.pipeline === pipeline)!;
  expect(opened.input.trigger.kind).toBe('alert');
  expect(opened.evidence.faultHint).toBe('crash');
});
