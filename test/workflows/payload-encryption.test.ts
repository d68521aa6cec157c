/**
 * Payload encryption end to end on the real dev server: an incident runs on a worker and a
 * client that both carry the AES-256-GCM codec. Its history, read without the codec, holds only
 * ciphertext (input, memo, result — the pipeline's name appears nowhere but in the plain search
 * attributes); the real `temporal workflow show --codec-endpoint` decodes it through
 * `homeostat codec-server`'s endpoints, which refuse callers without the bearer token.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { BearerTokens } from '../../common/bearer-auth';
import { startCodecServer, type CodecServer } from '../../common/codec-server';
import { AesGcmCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, parseCodecKeys } from '../../common/payload-codec';
import { ensureTemporalCli } from '../../infra/temporal-cli';
import { createIncidentWorker } from '../../workers/worker';
import { incidentWorkflowId, type IncidentState } from '../../workflows/shared';
import { testTemporalAddress } from '../support/services';
import { incidentBundle, manualInput, uniqueName } from './helpers';
import { useIncidentEnv } from './incident-harness';
import { createLab } from './lab';

jest.setTimeout(120_000);

const run = promisify(execFile);
const env = useIncidentEnv();
const TOKEN = 'codec-test-token-0123456789abcdef';
const KEYS = parseCodecKeys(`k2:${Buffer.alloc(32, 2).toString('base64')}, k1:${Buffer.alloc(32, 1).toString('base64')}`, 'test keys');
const codec = new AesGcmCodec(KEYS);
let server: CodecServer;
let refused = 0;

beforeAll(async () => {
  server = await startCodecServer({ codec, tokens: new BearerTokens({ value: TOKEN }), origins: ['http://localhost:8233'], onUnauthorized: () => refused++ }, 0);
});
afterAll(async () => {
  await server?.close();
});

const text = (b: Uint8Array | null | undefined): string => Buffer.from(b ?? new Uint8Array()).toString('utf8');

/**
 * Payloads (`{metadata, data}` objects) in the CLI's JSON history, search attributes' left out,
 * and the SDK's patch markers (`patch-data`: `{"id":"<patch name>"}`, written by the SDK's core
 * without the data converter; they carry the name of a code change and nothing of the incident).
 */
function payloadsOf(doc: unknown): { plain: { encoding: string; text: string }[] } {
  const plain: { encoding: string; text: string }[] = [];
  const walk = (v: unknown, inAttrs: boolean): void => {
    if (Array.isArray(v)) return v.forEach((x) => walk(x, inAttrs));
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    const meta = o.metadata as Record<string, string> | undefined;
    if (meta && typeof meta.encoding === 'string') {
      const encoding = Buffer.from(meta.encoding, 'base64').toString();
      // The CLI prints data as base64, or decoded JSON for json/plain payloads.
      const text = typeof o.data === 'string' ? Buffer.from(o.data, 'base64').toString() : JSON.stringify(o.data ?? null);
      if (!inAttrs) plain.push({ encoding, text });
      return;
    }
    for (const [k, x] of Object.entries(o)) walk(x, inAttrs || /searchAttributes/i.test(k) || k === 'patch-data');
  };
  walk(doc, false);
  return { plain };
}

function expectCiphertext(p: Payload | undefined, secret: string): void {
  expect(text(p?.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
  expect(text(p?.metadata?.[KEY_ID_METADATA])).toBe('k2');
  expect(text(p?.data)).not.toContain(secret);
}

test('history without the codec is ciphertext; temporal workflow show --codec-endpoint decodes it', async () => {
  const pipeline = uniqueName('secretpipe');
  const lab = env.track(await createLab({ pipeline }));
  const dataConverter = { payloadCodecs: [codec] };
  const client = new Client({ connection: env.conn.client.connection, namespace: 'default', dataConverter });
  const taskQueue = uniqueName('tq-codec');
  const worker = await createIncidentWorker({ connection: env.conn.native, taskQueue, activities: lab.activities, workflowBundle: await incidentBundle(), dataConverter, audit: lab.kb });
  const workflowId = incidentWorkflowId(pipeline, 'sink');
  const result = await worker.runUntil(async () => {
    const handle = await client.workflow.start('incidentWorkflow', { taskQueue, workflowId, args: [manualInput(pipeline, 'sink')] });
    return (await handle.result()) as IncidentState;
  });
  // Through the codec, everything reads as usual.
  expect(result.outcome).toBe('healed');

  const plain = env.conn.client;
  const history = await plain.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  expectCiphertext(started?.input?.payloads?.[0], pipeline);
  const completed = events.find((e) => e.workflowExecutionCompletedEventAttributes)?.workflowExecutionCompletedEventAttributes;
  expectCiphertext(completed?.result?.payloads?.[0], 'healed');
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes)?.activityTaskScheduledEventAttributes;
  expectCiphertext(scheduled?.input?.payloads?.[0], pipeline);
  // The memo (the explanation the Web UI shows) is encrypted too; search attributes stay plain.
  const described = await plain.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId } });
  const memo = Object.values(described.workflowExecutionInfo?.memo?.fields ?? {});
  expect(memo.length).toBeGreaterThan(0);
  for (const m of memo) expectCiphertext(m, pipeline);
  const attrs = Object.values(described.workflowExecutionInfo?.searchAttributes?.indexedFields ?? {}).map((p) => text(p.data));
  expect(attrs.join(' ')).toContain(pipeline);

  // The temporal CLI, without and with the codec server.
  const cli = await ensureTemporalCli();
  const show = async (...extra: string[]) =>
    (await run(cli, ['workflow', 'show', '--address', testTemporalAddress(), '--namespace', 'default', '-w', workflowId, '-o', 'json', ...extra], { maxBuffer: 64 * 1024 * 1024 })).stdout;
  // Every payload of the CLI's history but the search attributes' is the codec's; with the codec
  // endpoint none is, and the input reads in clear.
  const raw = payloadsOf(JSON.parse(await show()));
  expect(raw.plain.length).toBeGreaterThan(0);
  expect(new Set(raw.plain.map((p) => p.encoding))).toEqual(new Set([ENCRYPTED_ENCODING]));
  const decoded = payloadsOf(JSON.parse(await show('--codec-endpoint', server.url, '--codec-auth', `Bearer ${TOKEN}`)));
  expect(decoded.plain.length).toBe(raw.plain.length);
  expect(decoded.plain.filter((p) => p.encoding === ENCRYPTED_ENCODING)).toEqual([]);
  expect(decoded.plain.some((p) => p.text.includes(`"pipeline":"${pipeline}"`))).toBe(true);
  // A wrong token: the codec server refuses (401, counted) and the CLI fails instead of decoding.
  const refusedBefore = refused;
  await expect(show('--codec-endpoint', server.url, '--codec-auth', 'Bearer wrong-token-0123456789abcdef', '--command-timeout', '3s')).rejects.toThrow(/failed/);
  expect(refused).toBeGreaterThan(refusedBefore);
});
