/**
 * The sentinel's HTTP face (node:http, no framework):
 *   GET  /health                       every component this sentinel owns
 *   GET  /health/:pipeline             that pipeline's components, per layer, open / closed
 *   GET  /health/:pipeline/:component  one component (404 when this sentinel does not own it)
 *   GET  /trail/:pipeline/:component?from=<epoch ms>&to=<epoch ms>
 *                                      that component's per-second health, latency, quality and
 *                                      loss (trail.ts) over [from, to], for the worker's outcome
 *                                      samples; a span over the trail's 10 minutes is clamped
 *   GET  /metrics                      Prometheus text format
 *   POST /alertmanager                 Alertmanager webhook → incidents / evidence
 *   POST /openlineage                  OpenLineage run event → lineage edges
 *   POST /repaired                     the loop verified a repair → a REPAIRED event on the telemetry
 *                                      topic, which re-arms the component's detection (component.ts)
 * A body that fails validation gets 400 with the field and the rule (413 when it exceeds a cap of
 * the config's `http` section), and is dead-lettered with the original bytes like any invalid
 * telemetry record.
 *
 * Authentication: with bearer tokens configured (`common/bearer-auth.ts`) every request needs
 * `Authorization: Bearer <token>` — Alertmanager sends it from its webhook's
 * `http_config.authorization` — except `/health` and `/metrics` when explicitly opened (`open`).
 * A refusal is 401 and counted (`homeostat_sentinel_http_unauthorized_total`). Without a token
 * the server only binds to loopback (`startHealthServer` refuses anything else).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ZodType } from 'zod';
import { sendToDeadLetter, type Log } from '../bindings/log';
import { assertBindAllowed, BearerTokens } from '../common/bearer-auth';
import { AlertDebouncer, checkAlertCaps } from './alert-guard';
import { alertmanagerPayload, handleAlerts } from './alertmanager';
import type { TelemetryReading } from '../activities/outcome-measure';
import type { ComponentView } from './component';
import { LIMIT_DEFAULTS, type HttpSettings } from './config-limits';
import type { IncidentOpener } from './incidents';
import type { LineageSink } from './lineage';
import type { SentinelMetrics } from './metrics';
import { handleOpenLineage, openLineageRunEvent } from './openlineage';
import { readBody } from '../common/read-body';
import { publishTelemetry } from './publish';
import { ID_PATTERN, type EventRecord } from './telemetry';
import { z } from 'zod';

const MAX_BODY = 1024 * 1024;

export interface HttpDeps {
  views(): ComponentView[];
  /** A component's trail readings over [from, to] (epoch ms); undefined when this sentinel does not own it. */
  trail?(pipeline: string, component: string, from: number, to: number): TelemetryReading[] | undefined;
  metrics: SentinelMetrics;
  opener: IncidentOpener;
  lineage?: LineageSink;
  /** Where bad bodies are dead-lettered: the telemetry topic's dead-letter topic. */
  log: Log;
  topic: string;
  /** Caps and debouncing (the sentinel config's `http` section); defaults when omitted. */
  settings?: HttpSettings;
  /** Bearer tokens; none configured (or omitted) leaves the server open, on loopback only. */
  tokens?: BearerTokens;
  /** Endpoints answered without a token even when tokens are configured. */
  open?: readonly OpenEndpoint[];
}

export const OPEN_ENDPOINTS = ['health', 'metrics'] as const;

/** `POST /repaired`: which component's repair was verified, by which incident and action. */
const repairedBody = z.strictObject({
  pipeline: z.string().regex(ID_PATTERN),
  component: z.string().regex(ID_PATTERN),
  incidentId: z.string().max(512).optional(),
  action: z.string().max(64).optional(),
});
export type OpenEndpoint = (typeof OPEN_ENDPOINTS)[number];

/** Epoch ms as a query parameter: digits only, so an empty or fractional value is refused, not read as 0. */
const epochMs = z.string().regex(/^\d{1,15}$/, 'expected epoch milliseconds (digits)').transform(Number);

/** `GET /trail/...`'s query. */
const trailQuery = z
  .object({ from: epochMs, to: epochMs })
  .refine((q) => q.to >= q.from, { message: 'must not be before from', path: ['to'] });

export interface HealthServer {
  server: http.Server;
  port: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function send(res: http.ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? JSON.stringify(body) : String(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function layerSummary(views: ComponentView[]): Record<string, number> {
  const out: Record<string, number> = { infrastructure: 0, data: 0, model: 0 };
  for (const v of views) for (const [l, h] of Object.entries(v.layers)) out[l] = Math.max(out[l] ?? 0, h);
  return out;
}

export function createHealthServer(deps: HttpDeps): http.Server {
  const settings = deps.settings ?? LIMIT_DEFAULTS.http;
  const tokens = deps.tokens ?? new BearerTokens({});
  const open = new Set<string>(deps.open ?? []);
  const debouncer = new AlertDebouncer(settings.alertDebounceMs, settings.debounceEntries);
  deps.metrics.http.debouncedSource = () => debouncer.debounced;

  /** Parses and validates a JSON body; a failure is dead-lettered and becomes a 400 (413 past a cap). */
  async function body<T>(req: http.IncomingMessage, schema: ZodType<T>, source: string, caps?: (value: T) => { field: string; reason: string; limit: number } | undefined): Promise<T> {
    const raw = await readBody(req, MAX_BODY, (m) => new HttpError(413, m));
    let value: unknown;
    let failure: { field: string; rule: string; reason: string } | undefined;
    let limit: number | undefined;
    try {
      value = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      failure = { field: '(root)', rule: 'json', reason: `(root): not JSON (${(err as Error).message})` };
    }
    if (!failure) {
      const parsed = schema.safeParse(value);
      if (parsed.success) {
        const violation = caps?.(parsed.data);
        if (!violation) return parsed.data;
        failure = { field: violation.field, rule: 'too_big', reason: violation.reason };
        limit = violation.limit;
      } else {
        const issue = parsed.error.issues[0];
        const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
        failure = { field, rule: issue.code, reason: `${field}: ${issue.message}` };
      }
    }
    deps.metrics.http.badBodies++;
    await sendToDeadLetter(deps.log, deps.topic, [{ value: raw, key: null, ...failure, source: { topic: `http:${source}` } }]).catch(() => undefined);
    throw new HttpError(limit === undefined ? 400 : 413, failure.reason, { field: failure.field, rule: failure.rule, ...(limit === undefined ? {} : { limit }) });
  }

  /** Whether the request may proceed; a refusal is answered (401) and counted here. */
  function authorised(req: http.IncomingMessage, res: http.ServerResponse, endpoint: string): boolean {
    if (open.has(endpoint) || !tokens.configured || tokens.accepts(req.headers.authorization)) return true;
    deps.metrics.http.unauthorized++;
    // Drain the body so the connection can be reused; its content is never read.
    req.resume();
    res.setHeader('www-authenticate', 'Bearer realm="homeostat-sentinel"');
    send(res, 401, { error: req.headers.authorization ? 'bearer token not accepted' : 'missing bearer token (Authorization: Bearer <token>)' });
    return false;
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sentinel');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (!authorised(req, res, parts[0] ?? '')) return;
    if (req.method === 'GET' && parts[0] === 'health') {
      const views = deps.views();
      if (parts.length === 1) return send(res, 200, { components: views, layers: layerSummary(views) });
      const mine = views.filter((v) => v.pipeline === parts[1]);
      if (parts.length === 2) {
        if (mine.length === 0) throw new HttpError(404, `no telemetry seen for pipeline "${parts[1]}" on this sentinel`);
        return send(res, 200, { pipeline: parts[1], open: mine.some((v) => v.open), layers: layerSummary(mine), components: mine });
      }
      const one = mine.find((v) => v.component === parts[2]);
      if (!one || parts.length > 3) throw new HttpError(404, `no telemetry seen for ${parts[1]}/${parts[2] ?? ''} on this sentinel`);
      return send(res, 200, one);
    }
    if (req.method === 'GET' && parts[0] === 'trail') {
      if (parts.length !== 3) throw new HttpError(404, `no route for GET ${url.pathname} (GET /trail/<pipeline>/<component>?from=&to=)`);
      const q = trailQuery.safeParse({ from: url.searchParams.get('from') ?? undefined, to: url.searchParams.get('to') ?? undefined });
      if (!q.success) {
        const issue = q.error.issues[0];
        const field = issue.path.map(String).join('.') || '(query)';
        throw new HttpError(400, `${field}: ${issue.message}`, { field, rule: issue.code });
      }
      const readings = deps.trail?.(parts[1], parts[2], q.data.from, q.data.to);
      if (!readings) throw new HttpError(404, `no telemetry seen for ${parts[1]}/${parts[2]} on this sentinel`);
      return send(res, 200, { readings });
    }
    if (req.method === 'GET' && url.pathname === '/metrics') {
      return send(res, 200, await deps.metrics.registry.metrics(), deps.metrics.registry.contentType);
    }
    if (req.method === 'POST' && url.pathname === '/alertmanager') {
      const payload = await body(req, alertmanagerPayload, '/alertmanager', (p) => checkAlertCaps(p, settings));
      deps.metrics.http.alerts += payload.alerts.length;
      const { alerts, keys, dropped } = debouncer.fresh(payload);
      const outcome = alerts.length > 0 ? await handleAlerts({ ...payload, alerts }, deps.opener) : { opened: [], evidence: [], ignored: [] };
      debouncer.commit(keys);
      return send(res, 200, { ...outcome, debounced: dropped });
    }
    if (req.method === 'POST' && url.pathname === '/repaired') {
      const r = await body(req, repairedBody, '/repaired');
      // Through the log, not into the engine directly: the re-arm is then part of the replayable
      // state, in order with the component's records, on whichever sentinel owns the partition.
      const event: EventRecord = {
        kind: 'event',
        v: 1,
        ts: Date.now(),
        pipeline: r.pipeline,
        component: r.component,
        signal: 'homeostat.repair',
        event: 'REPAIRED',
        message: `${r.action ?? 'repair'} verified${r.incidentId ? ` by ${r.incidentId}` : ''}`,
      };
      await publishTelemetry(deps.log, deps.topic, [event]);
      deps.metrics.http.repairs++;
      return send(res, 200, { published: true });
    }
    if (req.method === 'POST' && url.pathname === '/openlineage') {
      const event = await body(req, openLineageRunEvent, '/openlineage');
      if (!deps.lineage) throw new HttpError(503, 'this sentinel has no knowledge base to record lineage in');
      deps.metrics.http.lineageEvents++;
      return send(res, 200, await handleOpenLineage(event, deps.lineage));
    }
    throw new HttpError(404, `no route for ${req.method} ${url.pathname}`);
  }

  return http.createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) send(res, err.status, { error: err.message, ...err.body });
      else send(res, 500, { error: (err as Error).message });
    });
  });
}

/** Starts the server on `port` (0 = any free port); refuses a non-loopback `host` without a token. */
export async function startHealthServer(deps: HttpDeps, port: number, host = '127.0.0.1'): Promise<HealthServer> {
  assertBindAllowed(host, deps.tokens ?? new BearerTokens({}), 'sentinel HTTP', 'set HOMEOSTAT_SENTINEL_HTTP_TOKENS or --http-token-file');
  const server = createHealthServer(deps);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
