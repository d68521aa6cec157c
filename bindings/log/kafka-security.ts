/**
 * TLS and SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) for every Kafka client Homeostat builds,
 * from HOMEOSTAT_KAFKA_* variables, validated with zod. Files (CA, client pair, password file) are
 * read here, so a bad path fails at start-up naming the variable instead of at the first send.
 */
import fs from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import { z } from 'zod';
import { HomeostatError } from '../../common/errors';
import { formatZodIssues } from '../../common/zod-errors';

export const KAFKA_SECURITY_ENV = {
  tls: 'HOMEOSTAT_KAFKA_TLS',
  tlsCa: 'HOMEOSTAT_KAFKA_TLS_CA',
  tlsCert: 'HOMEOSTAT_KAFKA_TLS_CERT',
  tlsKey: 'HOMEOSTAT_KAFKA_TLS_KEY',
  tlsServerName: 'HOMEOSTAT_KAFKA_TLS_SERVER_NAME',
  saslMechanism: 'HOMEOSTAT_KAFKA_SASL_MECHANISM',
  saslUsername: 'HOMEOSTAT_KAFKA_SASL_USERNAME',
  saslPassword: 'HOMEOSTAT_KAFKA_SASL_PASSWORD',
  saslPasswordFile: 'HOMEOSTAT_KAFKA_SASL_PASSWORD_FILE',
} as const;

export type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** What kafkajs's `ssl` and `sasl` options take; both absent = PLAINTEXT. */
export interface KafkaSecurity {
  ssl?: ConnectionOptions;
  sasl?: { mechanism: KafkaSaslMechanism; username: string; password: string };
}

const readFile = (file: string, ctx: z.RefinementCtx): Buffer => {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
    return z.NEVER;
  }
};
const file = z.string().min(1).transform(readFile);

const E = KAFKA_SECURITY_ENV;
const Env = z
  .object({
    HOMEOSTAT_KAFKA_TLS: z.enum(['true', 'false', '1', '0']).optional(),
    HOMEOSTAT_KAFKA_TLS_CA: file.optional(),
    HOMEOSTAT_KAFKA_TLS_CERT: file.optional(),
    HOMEOSTAT_KAFKA_TLS_KEY: file.optional(),
    HOMEOSTAT_KAFKA_TLS_SERVER_NAME: z.string().min(1).optional(),
    HOMEOSTAT_KAFKA_SASL_MECHANISM: z
      .string()
      .transform((m) => m.toLowerCase().replace(/_/g, '-'))
      .pipe(z.enum(['plain', 'scram-sha-256', 'scram-sha-512'], { message: 'must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512' }))
      .optional(),
    HOMEOSTAT_KAFKA_SASL_USERNAME: z.string().min(1).optional(),
    HOMEOSTAT_KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
    // Trailing newline of `echo pw > file` is not part of the password.
    HOMEOSTAT_KAFKA_SASL_PASSWORD_FILE: file.transform((b) => b.toString('utf8').replace(/\r?\n$/, '')).pipe(z.string().min(1, 'the password file is empty')).optional(),
  })
  .superRefine((e, ctx) => {
    const issue = (key: string, message: string): void => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message });
    if (!!e.HOMEOSTAT_KAFKA_TLS_CERT !== !!e.HOMEOSTAT_KAFKA_TLS_KEY) issue(e.HOMEOSTAT_KAFKA_TLS_CERT ? E.tlsKey : E.tlsCert, `${E.tlsCert} and ${E.tlsKey} must be set together`);
    if (e.HOMEOSTAT_KAFKA_SASL_MECHANISM) {
      if (!e.HOMEOSTAT_KAFKA_SASL_USERNAME) issue(E.saslUsername, `required with ${E.saslMechanism}`);
      if (!e.HOMEOSTAT_KAFKA_SASL_PASSWORD === !e.HOMEOSTAT_KAFKA_SASL_PASSWORD_FILE) issue(E.saslPassword, `set exactly one of ${E.saslPassword} and ${E.saslPasswordFile}`);
    } else if (e.HOMEOSTAT_KAFKA_SASL_USERNAME || e.HOMEOSTAT_KAFKA_SASL_PASSWORD || e.HOMEOSTAT_KAFKA_SASL_PASSWORD_FILE) {
      issue(E.saslMechanism, 'SASL credentials are set but no mechanism (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)');
    }
    const off = e.HOMEOSTAT_KAFKA_TLS === 'false' || e.HOMEOSTAT_KAFKA_TLS === '0';
    if (off && (e.HOMEOSTAT_KAFKA_TLS_CA || e.HOMEOSTAT_KAFKA_TLS_CERT)) issue(E.tls, `${E.tls}=false contradicts ${E.tlsCa}/${E.tlsCert}`);
  });

/** The Kafka security settings of the environment (PLAINTEXT when none is set). */
export function kafkaSecurityFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaSecurity {
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('HOMEOSTAT_KAFKA_') && v !== undefined && v !== ''));
  const parsed = Env.safeParse(present);
  if (!parsed.success) throw new HomeostatError('HS_INVALID_INPUT', `invalid Kafka security settings: ${formatZodIssues(parsed.error).join('; ')}`);
  const e = parsed.data;
  const useTls = e.HOMEOSTAT_KAFKA_TLS === 'true' || e.HOMEOSTAT_KAFKA_TLS === '1' || !!(e.HOMEOSTAT_KAFKA_TLS_CA || e.HOMEOSTAT_KAFKA_TLS_CERT || e.HOMEOSTAT_KAFKA_TLS_SERVER_NAME);
  const mechanism = e.HOMEOSTAT_KAFKA_SASL_MECHANISM;
  const password = e.HOMEOSTAT_KAFKA_SASL_PASSWORD ?? e.HOMEOSTAT_KAFKA_SASL_PASSWORD_FILE;
  return {
    ...(useTls
      ? {
          ssl: {
            ...(e.HOMEOSTAT_KAFKA_TLS_CA ? { ca: [e.HOMEOSTAT_KAFKA_TLS_CA] } : {}),
            ...(e.HOMEOSTAT_KAFKA_TLS_CERT && e.HOMEOSTAT_KAFKA_TLS_KEY ? { cert: e.HOMEOSTAT_KAFKA_TLS_CERT, key: e.HOMEOSTAT_KAFKA_TLS_KEY } : {}),
            ...(e.HOMEOSTAT_KAFKA_TLS_SERVER_NAME ? { servername: e.HOMEOSTAT_KAFKA_TLS_SERVER_NAME } : {}),
          },
        }
      : {}),
    ...(mechanism && e.HOMEOSTAT_KAFKA_SASL_USERNAME && password ? { sasl: { mechanism, username: e.HOMEOSTAT_KAFKA_SASL_USERNAME, password } } : {}),
  };
}

/** The kafkajs client options for `security`. */
export function kafkajsSecurity(security: KafkaSecurity): { ssl?: ConnectionOptions; sasl?: SASLOptions } {
  return {
    ...(security.ssl ? { ssl: security.ssl } : {}),
    ...(security.sasl ? { sasl: security.sasl as SASLOptions } : {}),
  };
}

/**
 * A connect failure as one line that says what to check: a refused SASL login names the
 * credentials' variables (never the password), an untrusted certificate the CA variable.
 */
export function kafkaConnectHint(err: unknown): string | undefined {
  const name = err instanceof Error ? err.name : '';
  const message = err instanceof Error ? err.message : String(err);
  if (name === 'KafkaJSSASLAuthenticationError' || /SASL .*authentication failed|Authentication failed/i.test(message)) {
    return `the broker refused the SASL login: check ${E.saslMechanism}, ${E.saslUsername} and ${E.saslPassword}/${E.saslPasswordFile}`;
  }
  if (/certificate|self[- ]signed|unable to (get|verify)|CERT_|ERR_TLS/i.test(message)) {
    return `the broker's certificate is not trusted: check ${E.tlsCa} (and ${E.tlsServerName} if it names another host)`;
  }
  if (/Connection error|closed connection|ECONNRESET|Request .* timed out/i.test(message)) {
    return `if the listener wants TLS or SASL, set ${E.tls}/${E.tlsCa} or ${E.saslMechanism}`;
  }
  return undefined;
}
