/**
 * Operators read encrypted histories through the codec server: a workflow whose input and result
 * are sealed by the AES-256-GCM payload codec runs on a Temporal dev server whose Web UI decodes
 * through `homeostat codec-server` (`--ui-codec-endpoint`, the token as the first path segment).
 * Headless Chromium (Debian's package, command-line flags only) loads the workflow's page and the
 * decoded input and result are in the page; `temporal workflow show` without the codec shows only
 * ciphertext, and with `--codec-endpoint` the plain values.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { dataConverterFromEnv, ENCRYPTED_ENCODING, newCodecKey } from '../../common/payload-codec';
import { headlessDom } from '../../infra/chromium';
import { startDevServer, type DevServerHandle } from '../../infra/dev-server';
import { freePorts } from '../../infra/ports';
import { ensureTemporalCli } from '../../infra/temporal-cli';
import * as echoActivities from '../fixtures/workflows/transport-echo-activities';
import { startHomeostat } from './cli';

const run = promisify(execFile);
const CODEC_ENV = { HOMEOSTAT_CODEC_KEYS: newCodecKey('ui-test-1') };
const TOKEN = randomBytes(20).toString('hex');
const INPUT = `ui-marker-${randomBytes(4).toString('hex')} card 4111-1111`;
const RESULT = `${INPUT.toUpperCase()} (through the workflow)`;

let codecServer: ChildProcess | undefined;
let codecUrl: string;
let temporal: DevServerHandle;
let workflowId: string;
let runId: string;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-webui-'));
  const [uiPort, codecPort] = (await freePorts(2)) as [number, number];
  codecUrl = `http://127.0.0.1:${codecPort}`;
  const started = await startHomeostat(
    ['codec-server', '--port', String(codecPort), '--ui-origin', `http://127.0.0.1:${uiPort},http://localhost:${uiPort}`],
    { ...CODEC_ENV, HOMEOSTAT_CODEC_SERVER_TOKENS: TOKEN },
    'codec server ready',
  );
  codecServer = started.child;
  temporal = await startDevServer({ ui: true, uiPort, uiCodecEndpoint: `${codecUrl}/${TOKEN}` });

  // A worker and a client that share the codec keys: everything they write to history is sealed.
  const dataConverter = dataConverterFromEnv(CODEC_ENV)!;
  const taskQueue = `webui-${randomBytes(4).toString('hex')}`;
  workflowId = `webui-codec-${randomBytes(4).toString('hex')}`;
  const native = await NativeConnection.connect({ address: temporal.address });
  const connection = await Connection.connect({ address: temporal.address });
  try {
    const worker = await Worker.create({
      connection: native,
      taskQueue,
      dataConverter,
      workflowsPath: require.resolve('../fixtures/workflows/transport-echo'),
      activities: echoActivities,
    });
    const client = new Client({ connection, dataConverter });
    const handle = await client.workflow.start('transportEcho', { taskQueue, workflowId, args: [INPUT] });
    runId = handle.firstExecutionRunId;
    expect(await worker.runUntil(handle.result())).toBe(RESULT);
  } finally {
    await connection.close();
    await native.close();
  }
});

afterAll(async () => {
  if (codecServer && codecServer.exitCode === null) {
    const exited = new Promise((r) => codecServer!.once('exit', r));
    codecServer.kill('SIGTERM');
    await exited;
  }
  await temporal?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('Web UI through the codec server', () => {
  it('`temporal workflow show` without the codec shows ciphertext; with --codec-endpoint the plain input and result', async () => {
    const cli = await ensureTemporalCli();
    const base = ['workflow', 'show', '--workflow-id', workflowId, '--address', temporal.address, '--output', 'json'];
    // JSON output keeps payload data base64-encoded, as history stores it.
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    const raw = (await run(cli, base, { maxBuffer: 16 * 1024 * 1024 })).stdout;
    expect(raw).toContain(b64(ENCRYPTED_ENCODING));
    expect(raw).not.toContain(b64('json/plain'));
    expect(raw).not.toContain(INPUT);
    expect(raw).not.toContain(b64(JSON.stringify(INPUT)));
    expect(raw).not.toContain(b64(JSON.stringify(RESULT)));
    const decoded = (await run(cli, [...base, '--codec-endpoint', codecUrl, '--codec-auth', `Bearer ${TOKEN}`], { maxBuffer: 16 * 1024 * 1024 })).stdout;
    expect(decoded).toContain(b64(JSON.stringify(INPUT)));
    expect(decoded).toContain(b64(JSON.stringify(RESULT)));
    expect(decoded).not.toContain(b64(ENCRYPTED_ENCODING));
  });

  it('headless Chromium shows the decoded input and result on the workflow page', async () => {
    const url = `${temporal.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}/${runId}/history`;
    const screenshotFile = path.join(dir, 'workflow.png');
    const dom = await headlessDom(url, { virtualTimeBudgetMs: 30_000, screenshotFile });
    // The page rendered the workflow (not an error or login page) …
    expect(dom).toContain(workflowId);
    // … and the browser decoded its payloads through the codec server.
    expect(dom).toContain(INPUT);
    expect(dom).toContain(RESULT);
    expect(fs.statSync(screenshotFile).size).toBeGreaterThan(10_000);
  });
});
