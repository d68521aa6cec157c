/**
 * Transport security to Temporal against a real TLS endpoint: nginx (Debian's package) terminates
 * TLS with a throw-away CA's certificate and passes gRPC to the suite's dev server. A worker and a
 * client built from TEMPORAL_TLS_* / TEMPORAL_API_KEY run a workflow through it; nginx lets only
 * `authorization: Bearer <key>` through, and its access log shows the header arrived on the
 * worker's polls and the client's calls; a second listener demands a client certificate (mTLS).
 * A wrong CA, a wrong key and a missing certificate fail with errors that name the variable.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { temporalSettingsFromEnv } from '../../common/temporal-config';
import { explainConnectFailure, isLoopbackAddress, temporalConnectionOptions } from '../../common/temporal-connection-options';
import { startGrpcTlsProxy, type GrpcTlsProxy } from '../../infra/nginx';
import * as echoActivities from '../fixtures/workflows/transport-echo-activities';
import { homeostat, startHomeostat } from '../e2e/cli';
import { EmbeddedLog } from '../../bindings/log';
import { INCIDENT_WORKFLOW_TYPE, incidentWorkflowId } from '../../workflows/shared';
import { killChild, spawnSentinel } from '../sentinel/process';
import { until } from '../support/until';
import { manualInput, waitForState } from '../workflows/helpers';
import { testTemporalAddress } from '../support/services';
import { createCa, issue, type Ca, type Issued } from '../support/throwaway-pki';

const API_KEY = 'test-api-key-3b9f0c1d2e';
const SERVER_NAME = 'temporal.test';

let ca: Ca;
let otherCa: Ca;
let serverCert: Issued;
let clientCert: Issued;
let proxy: GrpcTlsProxy;
let apiKeyAddress: string;
let mtlsAddress: string;
let dir: string;

beforeAll(async () => {
  ca = createCa('temporal');
  otherCa = createCa('other');
  serverCert = issue(ca, 'temporal-proxy', [SERVER_NAME]);
  clientCert = issue(ca, 'homeostat-worker', ['worker.test']);
  proxy = await startGrpcTlsProxy({
    upstream: testTemporalAddress(),
    servers: [
      { certFile: serverCert.certFile, keyFile: serverCert.keyFile, bearerToken: API_KEY },
      { certFile: serverCert.certFile, keyFile: serverCert.keyFile, clientCaFile: ca.certFile },
    ],
  });
  [apiKeyAddress, mtlsAddress] = proxy.addresses as [string, string];
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-tls-'));
});

afterAll(async () => {
  await proxy?.stop();
  for (const d of [ca?.dir, otherCa?.dir, dir]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

const accessLog = (): string[] => fs.readFileSync(proxy.accessLog, 'utf8').split('\n').filter(Boolean);

async function runEcho(env: NodeJS.ProcessEnv, text: string): Promise<string> {
  const options = temporalConnectionOptions(temporalSettingsFromEnv(env));
  const taskQueue = `tls-${Math.random().toString(36).slice(2, 10)}`;
  const native = await NativeConnection.connect(options);
  const connection = await Connection.connect(options);
  try {
    const worker = await Worker.create({
      connection: native,
      taskQueue,
      workflowsPath: require.resolve('../fixtures/workflows/transport-echo'),
      activities: echoActivities,
    });
    return await worker.runUntil(
      new Client({ connection }).workflow.execute('transportEcho', { taskQueue, workflowId: taskQueue, args: [text] }) as Promise<string>,
    );
  } finally {
    await connection.close();
    await native.close();
  }
}

describe('Temporal through a TLS-terminating proxy (nginx grpc_pass)', () => {
  it('worker and client with TEMPORAL_TLS_CA, TEMPORAL_TLS_SERVER_NAME and TEMPORAL_API_KEY run a workflow; the key arrives as a bearer header', async () => {
    const env = { TEMPORAL_ADDRESS: apiKeyAddress, TEMPORAL_TLS_CA: ca.certFile, TEMPORAL_TLS_SERVER_NAME: SERVER_NAME, TEMPORAL_API_KEY: API_KEY };
    expect(await runEcho(env, 'over tls')).toBe('OVER TLS (through the workflow)');
    const port = apiKeyAddress.split(':')[1];
    const lines = accessLog().filter((l) => l.startsWith(`${port} `));
    // Worker polls and completions (the Rust core) and the client's calls (grpc-js) all carried it.
    for (const call of ['PollWorkflowTaskQueue', 'RespondActivityTaskCompleted', 'StartWorkflowExecution', 'GetWorkflowExecutionHistory']) {
      expect(lines.filter((l) => l.includes(call) && l.includes(' 200 auth=yes '))).not.toHaveLength(0);
    }
    expect(lines.filter((l) => !l.includes('auth=yes'))).toEqual([]);
  });

  it('the CLI honours the same variables', async () => {
    const env = { TEMPORAL_ADDRESS: apiKeyAddress, TEMPORAL_TLS_CA: ca.certFile, TEMPORAL_TLS_SERVER_NAME: SERVER_NAME, TEMPORAL_API_KEY: API_KEY, HOMEOSTAT_STATE_DIR: dir };
    const ok = await homeostat(['incidents', 'list', '--json'], env);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(Array.isArray(JSON.parse(ok.stdout))).toBe(true);
    const wrongCa = await homeostat(['incidents', 'list', '--json'], { ...env, TEMPORAL_TLS_CA: otherCa.certFile });
    expect(wrongCa.code).not.toBe(0);
    expect(wrongCa.stderr).toMatch(new RegExp(`cannot reach Temporal at ${apiKeyAddress}: the server's certificate is not trusted: check TEMPORAL_TLS_CA`));
  });

  it('`homeostat worker` through TLS and the API key runs an incident to its close; `incidents show` reads it', async () => {
    const env = {
      TEMPORAL_ADDRESS: apiKeyAddress, TEMPORAL_TLS_CA: ca.certFile, TEMPORAL_TLS_SERVER_NAME: SERVER_NAME, TEMPORAL_API_KEY: API_KEY,
      HOMEOSTAT_STATE_DIR: dir, HOMEOSTAT_KB: path.join(dir, 'knowledge.db'),
    };
    const taskQueue = `tls-incidents-${Math.random().toString(36).slice(2, 10)}`;
    const worker = await startHomeostat(['worker', '--health-port', '0', '--task-queue', taskQueue], env, 'worker ready');
    const options = temporalConnectionOptions(temporalSettingsFromEnv(env));
    const connection = await Connection.connect(options);
    try {
      const workflowId = `incident/demo/sink-${taskQueue}`;
      const handle = await new Client({ connection }).workflow.start(INCIDENT_WORKFLOW_TYPE, {
        taskQueue, workflowId, args: [manualInput('demo', 'sink')],
      });
      // Lag on the demo sink has no repair on a worker without the demo pipeline: detect →
      // diagnose → plan → escalate → closed, every workflow and activity task through the proxy.
      const state = await waitForState(handle, (s) => s.stage === 'closed', 600);
      expect(state).toMatchObject({ outcome: 'escalated', plan: { action: 'escalate' } });
      await handle.result();
      const shown = await homeostat(['incidents', 'show', workflowId, '--json'], env);
      expect(shown.code).toBe(0);
      expect(JSON.parse(shown.stdout)).toMatchObject({ stage: 'closed', outcome: 'escalated' });
      expect(worker.output()).toContain(`worker ready: ${apiKeyAddress}`);
    } finally {
      await connection.close();
      const exited = new Promise((r) => worker.child.once('exit', r));
      worker.child.kill('SIGTERM');
      await exited;
    }
  });

  it('`homeostat sentinel` opens an incident through TLS and the API key', async () => {
    const env = { TEMPORAL_ADDRESS: apiKeyAddress, TEMPORAL_TLS_CA: ca.certFile, TEMPORAL_TLS_SERVER_NAME: SERVER_NAME, TEMPORAL_API_KEY: API_KEY };
    const suffix = Math.random().toString(36).slice(2, 10);
    const logFile = path.join(dir, `sentinel-log-${suffix}.db`);
    const topic = `tls-telemetry-${suffix}`;
    const pipeline = `tls-pipe-${suffix}`;
    const log = new EmbeddedLog({ file: logFile });
    await log.createTopic(topic, { partitions: 1 });
    const sentinel = spawnSentinel(
      ['--log', 'embedded', '--log-file', logFile, '--db', path.join(dir, `sentinel-${suffix}.db`), '--topic', topic, '--group', `g-${suffix}`, '--task-queue', `tls-s-${suffix}`, '--no-kb', '--http-port', 'off', '--status', '0'],
      env,
    );
    const options = temporalConnectionOptions(temporalSettingsFromEnv(env));
    const connection = await Connection.connect(options);
    try {
      await until('the sentinel to start', async () => (sentinel.output.some((l) => l.includes('sentinel ready')) ? true : undefined), 120_000);
      await log.append(topic, [{ key: pipeline, value: JSON.stringify({ kind: 'event', v: 1, ts: Date.now(), pipeline, component: 'enrich', signal: 'process', event: 'CRASHED' }) }]);
      const handle = new Client({ connection }).workflow.getHandle(incidentWorkflowId(pipeline, 'enrich'));
      const described = await until('the incident the sentinel opened', () => handle.describe().catch(() => undefined), 60_000);
      expect(described.type).toBe(INCIDENT_WORKFLOW_TYPE);
      await handle.terminate('test over');
      // No plain-text warning: the address is loopback and TLS is on anyway.
      expect(sentinel.output.join('\n')).not.toMatch(/plain text/);
    } finally {
      await connection.close();
      await killChild(sentinel);
      await log.close();
    }
  });

  it('mTLS: TEMPORAL_TLS_CERT/KEY present a client certificate; without one the proxy refuses', async () => {
    const env = { TEMPORAL_ADDRESS: mtlsAddress, TEMPORAL_TLS_CA: ca.certFile, TEMPORAL_TLS_SERVER_NAME: SERVER_NAME, TEMPORAL_TLS_CERT: clientCert.certFile, TEMPORAL_TLS_KEY: clientCert.keyFile };
    expect(await runEcho(env, 'mutual')).toBe('MUTUAL (through the workflow)');
    const { TEMPORAL_TLS_CERT: _c, TEMPORAL_TLS_KEY: _k, ...withoutCert } = env;
    const options = temporalConnectionOptions(temporalSettingsFromEnv(withoutCert));
    await expect(Connection.connect({ ...options, connectTimeout: '5s' })).rejects.toThrow();
  });

  it('a wrong CA fails the client and the worker with an error that names TEMPORAL_TLS_CA', async () => {
    const options = temporalConnectionOptions(temporalSettingsFromEnv({ TEMPORAL_ADDRESS: apiKeyAddress, TEMPORAL_TLS_CA: otherCa.certFile, TEMPORAL_TLS_SERVER_NAME: SERVER_NAME, TEMPORAL_API_KEY: API_KEY }));
    const clientErr = await Connection.connect({ ...options, connectTimeout: '5s' }).then(() => undefined, (err: unknown) => err);
    expect((await explainConnectFailure(clientErr, options)).message).toMatch(/certificate is not trusted: check TEMPORAL_TLS_CA/);
    const nativeErr = await NativeConnection.connect(options).then(() => undefined, (err: unknown) => err);
    expect(nativeErr).toBeDefined();
    expect((await explainConnectFailure(nativeErr, options)).message).toMatch(/certificate is not trusted: check TEMPORAL_TLS_CA/);
  });

  it('a wrong API key is refused by the endpoint (403) with an error that names TEMPORAL_API_KEY', async () => {
    const options = temporalConnectionOptions(temporalSettingsFromEnv({ TEMPORAL_ADDRESS: apiKeyAddress, TEMPORAL_TLS_CA: ca.certFile, TEMPORAL_TLS_SERVER_NAME: SERVER_NAME, TEMPORAL_API_KEY: 'not-the-key' }));
    const err = await Connection.connect({ ...options, connectTimeout: '5s' }).then(() => undefined, (e: unknown) => e);
    expect((await explainConnectFailure(err, options)).message).toMatch(/refused the credentials: check TEMPORAL_API_KEY/);
    expect(accessLog().some((l) => l.includes(' 403 auth=no '))).toBe(true);
  });
});

describe('Temporal settings', () => {
  it('a missing or unreadable file, or half a client pair, is an error naming the variable', () => {
    expect(() => temporalSettingsFromEnv({ TEMPORAL_TLS_CA: '/nonexistent/ca.pem' })).toThrow(/TEMPORAL_TLS_CA: cannot read \/nonexistent\/ca.pem \(ENOENT\)/);
    expect(() => temporalSettingsFromEnv({ TEMPORAL_TLS_CERT: ca.certFile })).toThrow(/TEMPORAL_TLS_KEY: TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together/);
    expect(() => temporalSettingsFromEnv({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'k' })).toThrow(/TEMPORAL_TLS: TEMPORAL_TLS=false contradicts/);
    expect(temporalSettingsFromEnv({ TEMPORAL_API_KEY: 'k' }).tls).toEqual({});
    expect(temporalSettingsFromEnv({ TEMPORAL_TLS_CA: '' }).tls).toBeUndefined();
  });

  it('plain text to a non-loopback address warns once; loopback does not', () => {
    const lines: string[] = [];
    const warn = (l: string): void => void lines.push(l);
    temporalConnectionOptions(temporalSettingsFromEnv({ TEMPORAL_ADDRESS: '127.0.0.1:7233' }), warn);
    temporalConnectionOptions(temporalSettingsFromEnv({ TEMPORAL_ADDRESS: 'localhost:7233' }), warn);
    expect(lines).toEqual([]);
    temporalConnectionOptions(temporalSettingsFromEnv({ TEMPORAL_ADDRESS: 'temporal.internal:7233' }), warn);
    temporalConnectionOptions(temporalSettingsFromEnv({ TEMPORAL_ADDRESS: 'temporal.internal:7233' }), warn);
    temporalConnectionOptions(temporalSettingsFromEnv({ TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_TLS: 'true' }), warn);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/connecting to Temporal at temporal.internal:7233 in plain text/);
    expect(isLoopbackAddress('[::1]:7233')).toBe(true);
    expect(isLoopbackAddress('10.0.0.1:7233')).toBe(false);
  });

  it('the CLI prints the warning once on stderr (TEST-NET address: nothing answers)', async () => {
    const r = await homeostat(['incidents', 'list'], { TEMPORAL_ADDRESS: '192.0.2.1:7233', HOMEOSTAT_STATE_DIR: dir });
    expect(r.code).not.toBe(0);
    expect(r.stderr.match(/in plain text \(no TLS\)/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot reach Temporal at 192.0.2.1:7233/);
  });
});
