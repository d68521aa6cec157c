/**
 * The one place that turns Temporal settings into connection options, for every process that
 * connects (CLI, worker, sentinel, the local stack): TLS (CA, client pair, server name) and the
 * API key travel together, and a plain-text connection to another machine is pointed out.
 */
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

/**
 * A connect failure as one line that names the address and, when it is about TLS or the API key,
 * the variable to look at (the SDK's own message is kept at the end).
 */
export function connectError(err: unknown, options: TemporalConnectionOptions): HomeostatError {
  const message = err instanceof Error ? err.message : String(err);
  let hint = 'start one with `npx homeostat dev` or set TEMPORAL_ADDRESS';
  if (/certificate|self[- ]signed|unable to (get|verify)|UnknownIssuer|CERT_|invalid peer certificate/i.test(message)) {
    hint = `the server's certificate is not trusted: check TEMPORAL_TLS_CA (and TEMPORAL_TLS_SERVER_NAME if the certificate names another host)`;
  } else if (/wrong version number|packet length too long|http2 settings|frame with invalid size|InvalidContentType|corrupt message/i.test(message)) {
    hint = options.tls ? 'the server does not speak TLS: unset TEMPORAL_TLS_*' : 'the server expects TLS: set TEMPORAL_TLS_CA or TEMPORAL_TLS=true';
  } else if (/\b(401|403)\b|unauthenticated|permission denied|PERMISSION_DENIED|UNAUTHENTICATED/i.test(message)) {
    hint = options.apiKey ? 'the server refused the credentials: check TEMPORAL_API_KEY' : 'the server wants credentials: set TEMPORAL_API_KEY or a client certificate';
  }
  return new HomeostatError('HS_SERVICE_UNAVAILABLE', `cannot reach Temporal at ${options.address}: ${hint} (${message})`);
}
