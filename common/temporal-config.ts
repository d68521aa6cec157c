import fs from 'node:fs';
import { z } from 'zod';
import { HomeostatError } from './errors';
import { formatZodIssues } from './zod-errors';

/** The local dev server started by `homeostat dev` / `homeostat demo`. */
export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_UI_PORT = 8233;

const Env = z.object({
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port').default(DEFAULT_TEMPORAL_ADDRESS),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TLS_CERT: z.string().optional(),
  TEMPORAL_TLS_KEY: z.string().optional(),
  TEMPORAL_TLS_CA: z.string().optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
  TEMPORAL_API_KEY: z.string().optional(),
});

export interface TemporalSettings {
  address: string;
  namespace: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
  apiKey?: string;
}

/**
 * Connection settings from the environment: a remote cluster or Temporal Cloud is reached by
 * setting TEMPORAL_ADDRESS and either mTLS files or an API key (which implies TLS).
 */
export function temporalSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    throw new HomeostatError('HS_INVALID_INPUT', `invalid Temporal settings: ${formatZodIssues(parsed.error).join('; ')}`);
  }
  const e = parsed.data;
  if (!!e.TEMPORAL_TLS_CERT !== !!e.TEMPORAL_TLS_KEY) {
    throw new HomeostatError('HS_INVALID_INPUT', 'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together');
  }
  const read = (file: string, name: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new HomeostatError('HS_INVALID_INPUT', `${name}: cannot read ${file} (${(err as Error).message})`);
    }
  };
  const useTls = !!(e.TEMPORAL_TLS_CERT || e.TEMPORAL_TLS_CA || e.TEMPORAL_API_KEY);
  return {
    address: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    ...(useTls
      ? {
          tls: {
            ...(e.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: e.TEMPORAL_TLS_SERVER_NAME } : {}),
            ...(e.TEMPORAL_TLS_CA ? { serverRootCACertificate: read(e.TEMPORAL_TLS_CA, 'TEMPORAL_TLS_CA') } : {}),
            ...(e.TEMPORAL_TLS_CERT && e.TEMPORAL_TLS_KEY
              ? { clientCertPair: { crt: read(e.TEMPORAL_TLS_CERT, 'TEMPORAL_TLS_CERT'), key: read(e.TEMPORAL_TLS_KEY, 'TEMPORAL_TLS_KEY') } }
              : {}),
          },
        }
      : {}),
    ...(e.TEMPORAL_API_KEY ? { apiKey: e.TEMPORAL_API_KEY } : {}),
  };
}
