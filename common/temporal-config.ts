import fs from 'node:fs';
import { z } from 'zod';
import { HomeostatError } from './errors';
import { formatZodIssues } from './zod-errors';

/** The local dev server started by `homeostat dev` / `homeostat demo`. */
export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_UI_PORT = 8233;

/** A path whose file is read at once: a missing or unreadable file fails here, naming the variable. */
const pemFile = z
  .string()
  .min(1)
  .transform((file, ctx) => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
      return z.NEVER;
    }
  });

const Env = z
  .object({
    TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$/, 'must be host:port').default(DEFAULT_TEMPORAL_ADDRESS),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    /** TLS with the system's roots and no file of our own (e.g. a public certificate). */
    TEMPORAL_TLS: z.enum(['true', 'false', '1', '0']).optional(),
    TEMPORAL_TLS_CERT: pemFile.optional(),
    TEMPORAL_TLS_KEY: pemFile.optional(),
    TEMPORAL_TLS_CA: pemFile.optional(),
    TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
    TEMPORAL_API_KEY: z.string().min(1).optional(),
  })
  .superRefine((e, ctx) => {
    if (!!e.TEMPORAL_TLS_CERT !== !!e.TEMPORAL_TLS_KEY) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [e.TEMPORAL_TLS_CERT ? 'TEMPORAL_TLS_KEY' : 'TEMPORAL_TLS_CERT'], message: 'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together' });
    }
    const tlsOff = e.TEMPORAL_TLS === 'false' || e.TEMPORAL_TLS === '0';
    if (tlsOff && (e.TEMPORAL_TLS_CERT || e.TEMPORAL_TLS_CA || e.TEMPORAL_API_KEY)) {
      // An API key in clear text would be readable by anyone on the path.
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['TEMPORAL_TLS'], message: 'TEMPORAL_TLS=false contradicts TEMPORAL_TLS_CERT/TEMPORAL_TLS_CA/TEMPORAL_API_KEY' });
    }
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
 * setting TEMPORAL_ADDRESS and either mTLS files, a CA, TEMPORAL_TLS=true or an API key (any of
 * which turns TLS on). Files are read here, so a bad path fails before anything connects.
 */
export function temporalSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  // Empty strings (a Helm value left blank) mean "unset".
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('TEMPORAL_') && v !== undefined && v !== ''));
  const parsed = Env.safeParse(present);
  if (!parsed.success) {
    throw new HomeostatError('HS_INVALID_INPUT', `invalid Temporal settings: ${formatZodIssues(parsed.error).join('; ')}`);
  }
  const e = parsed.data;
  const useTls =
    e.TEMPORAL_TLS === 'true' || e.TEMPORAL_TLS === '1' || !!(e.TEMPORAL_TLS_CERT || e.TEMPORAL_TLS_CA || e.TEMPORAL_TLS_SERVER_NAME || e.TEMPORAL_API_KEY);
  return {
    address: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    ...(useTls
      ? {
          tls: {
            ...(e.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: e.TEMPORAL_TLS_SERVER_NAME } : {}),
            ...(e.TEMPORAL_TLS_CA ? { serverRootCACertificate: e.TEMPORAL_TLS_CA } : {}),
            ...(e.TEMPORAL_TLS_CERT && e.TEMPORAL_TLS_KEY ? { clientCertPair: { crt: e.TEMPORAL_TLS_CERT, key: e.TEMPORAL_TLS_KEY } } : {}),
          },
        }
      : {}),
    ...(e.TEMPORAL_API_KEY ? { apiKey: e.TEMPORAL_API_KEY } : {}),
  };
}
