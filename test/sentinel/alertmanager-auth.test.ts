/**
 * A real Alertmanager (Debian's 0.25) posting to the sentinel's webhook with its own
 * `http_config.authorization` (credentials_file, as the README's receiver snippet does): the
 * notification is accepted and opens the incident. A second Alertmanager holding a wrong token
 * is refused with 401, counted in /metrics, and opens nothing. Alerts are pushed to each
 * Alertmanager through its v2 API, as Prometheus would.
 */
import fs from 'node:fs';
import path from 'node:path';
import { EmbeddedLog } from '../../bindings/log';
import { BearerTokens } from '../../common/bearer-auth';
import { startAlertmanager, type ServiceHandle } from '../../infra/prometheus';
import { parseSentinelConfig } from '../../sentinel/config';
import { startHealthServer, type HealthServer } from '../../sentinel/http';
import { SentinelMetrics } from '../../sentinel/metrics';
import { registryFactory } from '../../sentinel/registry-factory';
import { Sentinel } from '../../sentinel/sentinel';
import { CountingOpener, tempDir, waitFor } from './harness';

jest.setTimeout(180_000);

const dir = tempDir('am-auth');
const TOKEN = 'alertmanager-token-0123456789abcdef';
let log: EmbeddedLog;
let sentinel: Sentinel;
let metrics: SentinelMetrics;
const opener = new CountingOpener();
let server: HealthServer;
let base: string;
const managers: ServiceHandle[] = [];

beforeAll(async () => {
  log = new EmbeddedLog({ file: path.join(dir, 'log.db') });
  sentinel = new Sentinel({ log, config: parseSentinelConfig({}), factory: registryFactory, opener, stateFile: path.join(dir, 'state.db'), topic: 'telemetry', consumer: { pollMs: 10 } });
  await sentinel.start();
  metrics = new SentinelMetrics(sentinel);
  fs.writeFileSync(path.join(dir, 'sentinel-tokens'), `${TOKEN}\n`, { mode: 0o600 });
  server = await startHealthServer({ views: () => [], metrics, opener, log, topic: 'telemetry', tokens: new BearerTokens({ file: path.join(dir, 'sentinel-tokens') }) }, 0);
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  for (const m of managers) await m.stop();
  await server?.close();
  await sentinel?.stop();
  metrics?.close();
  await log?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function alertmanagerWith(name: string, token: string): Promise<ServiceHandle> {
  const file = path.join(dir, `${name}-token`);
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  const am = await startAlertmanager({ dir: path.join(dir, name), webhookUrl: `${base}/alertmanager`, auth: { credentialsFile: file }, groupWaitMs: 100 });
  managers.push(am);
  return am;
}

async function fire(am: ServiceHandle, pipeline: string): Promise<void> {
  const res = await fetch(`${am.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([{ labels: { alertname: 'ComponentDown', pipeline, component: 'score', fault: 'crash' }, annotations: { summary: 'score stopped answering scrapes' }, startsAt: new Date().toISOString() }]),
  });
  expect(res.status).toBe(200);
}

async function unauthorized(): Promise<number> {
  const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
  return Number(/^homeostat_sentinel_http_unauthorized_total (\d+)/m.exec(text)?.[1]);
}

it('Alertmanager with the right token: its notification is accepted and opens the incident', async () => {
  const am = await alertmanagerWith('good', TOKEN);
  await fire(am, 'amgood');
  await waitFor(() => opener.opens.some((o) => o.input.pipeline === 'amgood'), 'the incident opened by the notification', 60_000);
  const opened = opener.opens.find((o) => o.input.pipeline === 'amgood')!;
  expect(opened.input).toMatchObject({ component: 'score', trigger: { kind: 'alert' } });
  expect(opened.evidence.faultHint).toBe('crash');
});

it('Alertmanager with a wrong token: refused with 401, counted, nothing opened', async () => {
  const before = await unauthorized();
  const am = await alertmanagerWith('bad', 'a-wrong-token-0123456789abcdef');
  await fire(am, 'ambad');
  await waitFor(async () => (await unauthorized()) > before, 'a refused notification in /metrics', 60_000);
  // Alertmanager logs the refusal (a 4xx is not retried).
  await waitFor(() => /401/.test(fs.readFileSync(am.logFile, 'utf8')), "Alertmanager's log of the 401", 30_000);
  expect(opener.opens.filter((o) => o.input.pipeline === 'ambad')).toEqual([]);
});
