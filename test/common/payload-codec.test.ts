/**
 * The AES-256-GCM payload codec and its codec server, on their own: round trips keep metadata
 * and data byte for byte; the first key encrypts and every key decrypts (rotation); an unknown
 * key id and a tampered ciphertext fail loudly; keys load from the environment and a file; the
 * server speaks Temporal's codec JSON, wants the bearer token (header, or path for the Web UI)
 * and answers CORS only for the configured origin.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Payload } from '@temporalio/common';
import { BearerTokens } from '../../common/bearer-auth';
import { startCodecServer, type CodecServer } from '../../common/codec-server';
import { AesGcmCodec, codecFromEnv, ENCRYPTED_ENCODING, KEY_ID_METADATA, newCodecKey, parseCodecKeys } from '../../common/payload-codec';

const key = (n: number): Buffer => Buffer.alloc(32, n);
const payload = (json: unknown): Payload => ({ metadata: { encoding: new Uint8Array(Buffer.from('json/plain')) }, data: new Uint8Array(Buffer.from(JSON.stringify(json))) });
const text = (b: Uint8Array | null | undefined): string => Buffer.from(b ?? new Uint8Array()).toString('utf8');

describe('AesGcmCodec', () => {
  const old = new AesGcmCodec([{ id: 'old', key: key(1) }]);
  const rotated = new AesGcmCodec([{ id: 'new', key: key(2) }, { id: 'old', key: key(1) }]);

  it('round-trips metadata and data; the ciphertext names only its key', async () => {
    const p = payload({ pipeline: 'payments', card: '4111 1111 1111 1111' });
    const [enc] = await old.encode([p]);
    expect(text(enc!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(enc!.metadata![KEY_ID_METADATA])).toBe('old');
    expect(Object.keys(enc!.metadata!).sort()).toEqual(['encoding', KEY_ID_METADATA].sort());
    expect(text(enc!.data)).not.toContain('4111');
    const [dec] = await old.decode([enc!]);
    expect(text(dec!.metadata!.encoding)).toBe('json/plain');
    expect(JSON.parse(text(dec!.data))).toEqual({ pipeline: 'payments', card: '4111 1111 1111 1111' });
    // A fresh nonce each time: the same payload never encrypts to the same bytes.
    const [again] = await old.encode([p]);
    expect(Buffer.from(again!.data!).equals(Buffer.from(enc!.data!))).toBe(false);
  });

  it('rotation: the first key encrypts, the old one still decrypts; unencrypted payloads pass through', async () => {
    const [fromOld] = await old.encode([payload(1)]);
    const [fromNew] = await rotated.encode([payload(2)]);
    expect(text(fromNew!.metadata![KEY_ID_METADATA])).toBe('new');
    expect((await rotated.decode([fromOld!, fromNew!, payload(3)])).map((p) => JSON.parse(text(p.data)))).toEqual([1, 2, 3]);
    await expect(old.decode([fromNew!])).rejects.toThrow(/encrypted with key "new", which is not configured/);
  });

  it('a tampered ciphertext or a different key under the same id fails authentication', async () => {
    const [enc] = await old.encode([payload('x')]);
    const bytes = Buffer.from(enc!.data!);
    bytes[bytes.length - 20]! ^= 1;
    await expect(old.decode([{ ...enc!, data: new Uint8Array(bytes) }])).rejects.toThrow(/failed authentication/);
    await expect(new AesGcmCodec([{ id: 'old', key: key(9) }]).decode([enc!])).rejects.toThrow(/failed authentication/);
  });

  it('loads keys from the environment and a file, refuses keys of the wrong size', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-codec-'));
    const file = path.join(dir, 'keys');
    fs.writeFileSync(file, `# rotated 2026-12\n${newCodecKey('k2')}\n${newCodecKey('k1')}\n`, { mode: 0o600 });
    expect(codecFromEnv({ HOMEOSTAT_CODEC_KEY_FILE: file })?.activeKeyId).toBe('k2');
    expect(codecFromEnv({ HOMEOSTAT_CODEC_KEYS: `a:${key(1).toString('base64')},b:${key(2).toString('base64')}` })?.activeKeyId).toBe('a');
    expect(codecFromEnv({})).toBeUndefined();
    expect(() => new AesGcmCodec(parseCodecKeys(`k:${Buffer.alloc(16).toString('base64')}`, 'x'))).toThrow(/16 bytes, AES-256 needs 32/);
    expect(() => parseCodecKeys('nokey', 'x')).toThrow(/id:base64key/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('codec server', () => {
  const TOKEN = 'codec-server-token-0123456789abcdef';
  const codec = new AesGcmCodec([{ id: 'k', key: key(3) }]);
  let server: CodecServer;
  let unauthorized = 0;
  beforeAll(async () => {
    server = await startCodecServer({ codec, tokens: new BearerTokens({ value: TOKEN }), origins: ['http://localhost:8233'], onUnauthorized: () => unauthorized++ }, 0);
  });
  afterAll(() => server.close());

  const call = (p: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${server.url}${p}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  const wire = (p: Payload) => ({ metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])), data: Buffer.from(p.data!).toString('base64') });

  it('encodes and decodes in Temporal\'s codec JSON with the token', async () => {
    const auth = { authorization: `Bearer ${TOKEN}`, 'x-namespace': 'default' };
    const enc = (await (await call('/encode', { payloads: [wire(payload({ a: 1 }))] }, auth)).json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(enc.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
    const dec = (await (await call('/decode', enc, auth)).json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(JSON.parse(Buffer.from(dec.payloads[0]!.data, 'base64').toString())).toEqual({ a: 1 });
    // The Web UI cannot send a header: the token as the endpoint's first path segment.
    expect((await call(`/${TOKEN}/decode`, enc)).status).toBe(200);
  });

  it('refuses a missing or wrong token (401, counted), a bad body (400) and an undecryptable payload (422)', async () => {
    const before = unauthorized;
    expect((await call('/decode', { payloads: [] })).status).toBe(401);
    expect((await call('/decode', { payloads: [] }, { authorization: 'Bearer wrong-0123456789abcdef' })).status).toBe(401);
    expect((await call('/wrong-0123456789abcdef/decode', { payloads: [] })).status).toBe(401);
    expect(unauthorized).toBe(before + 3);
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await call('/decode', { nope: 1 }, auth)).status).toBe(400);
    const foreign = wire({ metadata: { encoding: new Uint8Array(Buffer.from(ENCRYPTED_ENCODING)), [KEY_ID_METADATA]: new Uint8Array(Buffer.from('other')) }, data: new Uint8Array(40) });
    const res = await call('/decode', { payloads: [foreign] }, auth);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: string }).error).toMatch(/key "other"/);
  });

  it('answers CORS preflights for the Web UI\'s origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' } });
    const ok = await preflight('http://localhost:8233');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    expect(ok.headers.get('access-control-allow-headers')).toContain('x-namespace');
    const other = await preflight('http://evil.example');
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses to start without a token', async () => {
    await expect(startCodecServer({ codec, tokens: new BearerTokens({}), origins: [] }, 0)).rejects.toThrow(/no bearer token configured/);
  });
});
