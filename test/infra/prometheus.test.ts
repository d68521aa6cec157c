/**
 * Prometheus and Alertmanager from Debian's packages, run for real: Prometheus scrapes a
 * prom-client endpoint, evaluates a shipped-style alert rule and notifies a real Alertmanager,
 * which posts to a webhook with a bearer token; a silence is created and expired through the API
 * binding; stopping leaves no process of either group behind.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Gauge, Registry } from 'prom-client';
import { AlertmanagerClient } from '../../bindings/alertmanager';
import { alertmanagerConfig } from '../../infra/prometheus-config';
import { ensurePrometheus, startAlertmanager, startPrometheus, type ServiceHandle } from '../../infra/prometheus';
import { waitUntil } from '../simulator/support';

jest.setTimeout(180_000);

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}


describe('Prometheus and Alertmanager (Debian packages)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-prom-test-'));
  const registry = new Registry();
  const up = new Gauge({ name: 'demo_component_healthy', help: 'test gauge', labelNames: ['pipeline', 'component'], registers: [registry] });
  const received: { auth: string | undefined; body: { status: string; alerts: { labels: Record<string, string>; status: string }[] } }[] = [];
  let targets: http.Server;
  let webhook: http.Server;
  let prometheus: ServiceHandle | undefined;
  let alertmanager: ServiceHandle | undefined;

  beforeAll(async () => {
    up.set({ pipeline: 'demo', component: 'score' }, 1);
    targets = http.createServer((_req, res) => {
      void registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text));
    });
    webhook = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ auth: req.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as (typeof received)[number]['body'] });
        res.writeHead(200).end('{}');
      });
    });
    await Promise.all([targets, webhook].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))));
    fs.writeFileSync(path.join(dir, 'token'), 's3cret-token\n');
    fs.writeFileSync(
      path.join(dir, 'rules.yml'),
      ['groups:', '  - name: test', '    rules:', '      - alert: ComponentUnhealthy', '        expr: demo_component_healthy == 0', '        for: 1s', '        labels: { fault: crash }', ''].join('\n'),
    );
    alertmanager = await startAlertmanager({
      dir: path.join(dir, 'am'),
      webhookUrl: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/alertmanager`,
      auth: { credentialsFile: path.join(dir, 'token') },
    });
    prometheus = await startPrometheus({
      dir: path.join(dir, 'prom'),
      jobs: [{ job: 'test', targets: [`127.0.0.1:${(targets.address() as AddressInfo).port}`] }],
      ruleFiles: [path.join(dir, 'rules.yml')],
      alertmanagers: [`127.0.0.1:${alertmanager.port}`],
      resendDelayMs: 1_000,
    });
    process.stdout.write(`start-up: Prometheus ${Math.round(prometheus.startupMs)} ms, Alertmanager ${Math.round(alertmanager.startupMs)} ms\n`);
  });

  afterAll(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
    await Promise.all([targets, webhook].map((s) => new Promise((r) => s?.close(r))));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finds the installed packages at the pinned versions (a second call installs nothing)', async () => {
    const bin = await ensurePrometheus();
    expect(bin.versions.prometheus).toMatch(/^2\.42\./);
    expect(bin.versions.alertmanager).toMatch(/^0\.25\./);
  });

  it('scrapes the target and answers PromQL over the HTTP API', async () => {
    const value = await waitUntil('the scraped gauge', async () => {
      const res = await fetch(`${prometheus!.url}/api/v1/query?query=${encodeURIComponent('demo_component_healthy{component="score"}')}`);
      const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
      return body.data.result[0]?.value[1];
    });
    expect(value).toBe('1');
  });

  it('routes a firing alert through Alertmanager to the webhook with the bearer token, then its resolution', async () => {
    up.set({ pipeline: 'demo', component: 'score' }, 0);
    const firing = await waitUntil('a firing notification', async () => received.find((r) => r.body.status === 'firing'));
    expect(firing.auth).toBe('Bearer s3cret-token');
    expect(firing.body.alerts[0]?.labels).toMatchObject({ alertname: 'ComponentUnhealthy', component: 'score', pipeline: 'demo', fault: 'crash' });
    up.set({ pipeline: 'demo', component: 'score' }, 1);
    const resolved = await waitUntil('a resolved notification', async () => received.find((r) => r.body.status === 'resolved'));
    expect(resolved.body.alerts[0]?.status).toBe('resolved');
  });

  it('creates, lists and expires a silence through the API v2 binding', async () => {
    const am = new AlertmanagerClient(alertmanager!.url);
    const now = new Date();
    const id = await am.createSilence({
      matchers: [{ name: 'pipeline', value: 'demo' }, { name: 'component', value: 'score' }],
      startsAt: now,
      endsAt: new Date(now.getTime() + 10 * 60_000),
      createdBy: 'homeostat-test',
      comment: 'repair in progress',
    });
    expect((await am.silence(id))?.status.state).toBe('active');
    expect((await am.silences([{ name: 'component', value: 'score' }])).map((s) => s.id)).toContain(id);
    await am.expireSilence(id);
    await am.expireSilence(id); // expiring twice is not an error
    expect((await am.silence(id))?.status.state).toBe('expired');
  });

  it('generates http_config.authorization with inline credentials too (for a token held in memory)', () => {
    const text = alertmanagerConfig({ webhookUrl: 'http://127.0.0.1:1/alertmanager', auth: { credentials: 'abc' }, groupBy: ['alertname'], groupWaitMs: 1_000, groupIntervalMs: 1_000, repeatIntervalMs: 60_000 });
    expect(text).toContain('authorization:');
    expect(text).toContain('type: Bearer');
    expect(text).toContain('credentials: abc');
  });

  it('stops both servers with their process groups', async () => {
    const pids = [prometheus!.pid, alertmanager!.pid];
    await prometheus!.stop();
    await alertmanager!.stop();
    prometheus = alertmanager = undefined;
    expect(pids.filter(groupAlive)).toEqual([]);
  });
});
