/**
 * The one place that turns Temporal settings into connection options, for every process that
 * connects (CLI, worker, sentinel, the local stack): TLS (CA, client pair, server name) and the
 * API key travel together, and a plain-text connection to another machine is pointed out.
 */
import http2 from 'node:http2';
import { HomeostatError } from './errors';
import { temporalSettingsFromEnv, type TemporalSettings } from './temporal-config';

/** What both `Connection.connect` (client) and `NativeConnection.connect` (worker) accept. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: NonNullable<TemporalSettings['tls']>;
  /** Sent by the SDK as `authorization: Bearer <key>` on every call. */
  apiKey?: string;
}

const warned = new Set<string>();

/** True for 127.0.0.0/8, ::1 and localhost: traffic that never leaves the machine. */
export function isLoopbackAddress(address: string): boolean {
  const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Options for connecting with `settings` (default: the environment). Without TLS to a host that
 * is not loopback it warns on stderr, once per address: decisions, evidence and (without the
 * payload codec) pipeline data would cross the network readable by anyone on the path.
 */
export function temporalConnectionOptions(
  settings: TemporalSettings = temporalSettingsFromEnv(),
  warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): TemporalConnectionOptions {
  if (!settings.tls && !isLoopbackAddress(settings.address) && !warned.has(settings.address)) {
    warned.add(settings.address);
    warn(
      `[homeostat] warning: connecting to Temporal at ${settings.address} in plain text (no TLS). Set TEMPORAL_TLS_CA (and TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY for mTLS), TEMPORAL_API_KEY or TEMPORAL_TLS=true.`,
    );
  }
  return {
    address: settings.address,
    ...(settings.tls ? { tls: settings.tls } : {}),
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
  };
}

/** Options for a server this process started itself on loopback: plain text, nothing to warn about. */
export function localConnectionOptions(address: string): TemporalConnectionOptions {
  return { address };
}

/** The messages of `err` and its causes, outermost first: the SDK wraps the gRPC error that says why. */
function messages(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(e instanceof Error ? e.message : String(e));
  }
  return [...new Set(parts)].join(': ');
}

/**
 * gRPC often reports only "failed to connect before the deadline". One HTTP/2 call made with
 * the same CA, server name and key finds the reason: the TLS handshake's error, or the HTTP
 * status a proxy answered with (401/403 for a refused key). Undefined when the call goes through.
 */
export async function probeTemporalEndpoint(options: TemporalConnectionOptions, timeoutMs = 5_000): Promise<string | undefined> {
  if (!options.tls) return undefined;
  return new Promise((resolve) => {
    let done = false;
    const finish = (reason: string | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      session.destroy();
      resolve(reason);
    };
    const session = http2.connect(`https://${options.address}`, {
      ...(options.tls?.serverRootCACertificate ? { ca: options.tls.serverRootCACertificate } : {}),
      ...(options.tls?.serverNameOverride ? { servername: options.tls.serverNameOverride } : {}),
      ...(options.tls?.clientCertPair ? { cert: options.tls.clientCertPair.crt, key: options.tls.clientCertPair.key } : {}),
    });
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    session.once('error', (err: Error) => finish(`TLS: ${err.message}`));
    const req = session.request({
      ':method': 'POST',
      ':path': '/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo',
      'content-type': 'application/grpc',
      te: 'trailers',
      ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    });
    req.once('error', (err: Error) => finish(`TLS: ${err.message}`));
    req.once('response', (headers) => {
      const status = Number(headers[':status']);
      finish(status === 200 ? undefined : `HTTP status ${status}`);
    });
    // An empty gRPC message (flag 0, length 0): enough for the server to answer.
    req.end(Buffer.alloc(5));
  });
}

/**
 * A connect failure as one line that names the address and, when it is about TLS or the API key,
 * the variable to look at (the SDK's own message, and what a probe found, are kept at the end).
 */
export function connectError(err: unknown, options: TemporalConnectionOptions, probed?: string): HomeostatError {
  const message = [messages(err), probed].filter(Boolean).join('; ');
  let hint = 'start one with `npx homeostat dev` or set TEMPORAL_ADDRESS';
  if (/certificate|self[- ]signed|unable to (get|verify)|UnknownIssuer|CERT_|invalid peer certificate|altnames/i.test(message)) {
    hint = `the server's certificate is not trusted: check TEMPORAL_TLS_CA (and TEMPORAL_TLS_SERVER_NAME if the certificate names another host)`;
  } else if (/wrong version number|packet length too long|InvalidContentType|corrupt message|unexpected eof/i.test(message)) {
    hint = options.tls ? 'the server does not speak TLS: unset TEMPORAL_TLS_*' : 'the server expects TLS: set TEMPORAL_TLS_CA or TEMPORAL_TLS=true';
  } else if (/HTTP status (401|403)|status code (401|403)|unauthenticated|permission denied|PERMISSION_DENIED|UNAUTHENTICATED|certificate required/i.test(message)) {
    hint = options.apiKey ? 'the server refused the credentials: check TEMPORAL_API_KEY' : 'the server wants credentials: set TEMPORAL_API_KEY or TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY';
  }
  return new HomeostatError('HS_SERVICE_UNAVAILABLE', `cannot reach Temporal at ${options.address}: ${hint} (${message})`);
}

/** connectError after probing the endpoint over HTTP/2 with the same settings (TLS only). */
export async function explainConnectFailure(err: unknown, options: TemporalConnectionOptions): Promise<HomeostatError> {
  const probed = await probeTemporalEndpoint(options).catch(() => undefined);
  return connectError(err, options, probed);
}
