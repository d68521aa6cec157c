/**
 * Temporal's codec-server protocol over Homeostat's payload codec, so operators read encrypted
 * histories: `temporal workflow show --codec-endpoint <url> --codec-auth "Bearer <token>"` and the
 * Web UI (`--ui-codec-endpoint <url>`, or the UI's codec setting) post
 * `{"payloads":[{"metadata":{k: base64},"data": base64}]}` to `<url>/decode` (and `/encode`) and
 * get the same shape back.
 *
 * Whoever can call /decode reads every payload, so it takes a bearer token. The Web UI cannot
 * send a static header (it forwards only its own login's access token), so the token may instead
 * be the first path segment: endpoint `http://host:port/<token>`. Such a URL is a secret itself —
 * it shows in the UI's settings and in proxies' logs; keep the server on loopback for that use.
 * CORS answers only the configured origins (the Web UI's), preflights included.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { assertBindAllowed, type BearerTokens } from './bearer-auth';
import { HomeostatError } from './errors';
import { readBody } from './read-body';

const MAX_BODY = 16 * 1024 * 1024;

const jsonPayload = z.object({ metadata: z.record(z.string(), z.string()).nullish(), data: z.string().nullish() });
const body = z.object({ payloads: z.array(jsonPayload) });

const fromJson = (p: z.infer<typeof jsonPayload>): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
  data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
});
const toJson = (p: Payload): { metadata: Record<string, string>; data: string } => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

export interface CodecServerOptions {
  codec: PayloadCodec;
  tokens: BearerTokens;
  /** Origins allowed by CORS (the Web UI's, e.g. http://localhost:8233). */
  origins: readonly string[];
  /** Requests refused for a missing or wrong token (for logs and tests). */
  onUnauthorized?: () => void;
}

export interface CodecServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

export function createCodecServer(o: CodecServerOptions): http.Server {
  const origins = new Set(o.origins.map((x) => x.replace(/\/+$/, '')));
  return http.createServer((req, res) => {
    const origin = req.headers.origin;
    if (origin && origins.has(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      res.setHeader('access-control-allow-headers', 'content-type, x-namespace, authorization');
      res.setHeader('vary', 'origin');
    }
    const send = (status: number, value: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    };
    if (req.method === 'OPTIONS') {
      // A preflight carries no credentials; the request it announces is checked.
      res.writeHead(origin && origins.has(origin) ? 204 : 403).end();
      return;
    }
    const parts = new URL(req.url ?? '/', 'http://codec').pathname.split('/').filter(Boolean);
    const op = parts.at(-1);
    const pathToken = parts.length === 2 ? parts[0] : undefined;
    const authorised = o.tokens.accepts(req.headers.authorization) || (pathToken !== undefined && o.tokens.accepts(`Bearer ${decodeURIComponent(pathToken)}`));
    if (!authorised) {
      o.onUnauthorized?.();
      req.resume();
      res.setHeader('www-authenticate', 'Bearer realm="homeostat-codec"');
      return send(401, { error: req.headers.authorization ? 'bearer token not accepted' : 'missing bearer token' });
    }
    if (req.method !== 'POST' || (op !== 'encode' && op !== 'decode') || parts.length > 2) return send(404, { error: 'POST /encode or /decode' });
    void (async () => {
      let parsed: z.infer<typeof body>;
      try {
        const r = body.safeParse(JSON.parse((await readBody(req, MAX_BODY, (m) => new Error(m))).toString('utf8')));
        if (!r.success) return send(400, { error: `body: ${r.error.issues[0]?.message ?? 'invalid'} (expected {"payloads":[{"metadata":{},"data":""}]})` });
        parsed = r.data;
      } catch (err) {
        return send(400, { error: `body: ${(err as Error).message}` });
      }
      try {
        const payloads = parsed.payloads.map(fromJson);
        const out = op === 'encode' ? await o.codec.encode(payloads) : await o.codec.decode(payloads);
        send(200, { payloads: out.map(toJson) });
      } catch (err) {
        send(422, { error: (err as Error).message });
      }
    })();
  });
}

export async function startCodecServer(o: CodecServerOptions, port: number, host = '127.0.0.1'): Promise<CodecServer> {
  if (!o.tokens.configured) throw new HomeostatError('HS_INVALID_INPUT', 'codec server: no bearer token configured (HOMEOSTAT_CODEC_SERVER_TOKENS or --token-file): /decode would read every payload for anyone');
  assertBindAllowed(host, o.tokens, 'codec server', 'set HOMEOSTAT_CODEC_SERVER_TOKENS');
  const server = createCodecServer(o);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    port: actual,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
