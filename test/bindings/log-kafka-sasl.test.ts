/**
 * The Kafka log against a real broker that wants TLS and a SASL login: one Kafka 3.9 (KRaft) for
 * the file, started by infra/kafka.ts with an extra SASL_SSL listener (a throw-away CA's
 * certificate), one PLAIN user in the listener's JAAS config and two SCRAM users written into the
 * metadata log at format time. Each mechanism produces and consumes with the right password from
 * the HOMEOSTAT_KAFKA_* variables; a wrong password, a wrong CA and a plain-text client fail with
 * errors that say what to check.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { KafkaLog, type LogConsumer, type LogRecord } from '../../bindings/log';
import { kafkaSecurityFromEnv } from '../../bindings/log/kafka-security';
import { startKafka, type KafkaHandle, type KafkaSaslUser } from '../../infra/kafka';
import { createCa, issue, type Ca } from '../support/throwaway-pki';

const USERS: KafkaSaslUser[] = [
  { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret-1' },
  { mechanism: 'SCRAM-SHA-256', username: 'bob', password: 'bob-secret-256' },
  { mechanism: 'SCRAM-SHA-512', username: 'carol', password: 'carol-secret-512' },
];

let ca: Ca;
let otherCa: Ca;
let kafka: KafkaHandle;
const logs: KafkaLog[] = [];
const consumers: LogConsumer[] = [];

beforeAll(async () => {
  ca = createCa('kafka');
  otherCa = createCa('kafka-other');
  const cert = issue(ca, 'kafka-broker', ['kafka.test']);
  kafka = await startKafka({ sasl: { users: USERS, tls: cert } });
});

afterAll(async () => {
  for (const c of consumers) await c.stop().catch(() => undefined);
  for (const l of logs) await l.close().catch(() => undefined);
  await kafka?.stop();
  for (const d of [ca?.dir, otherCa?.dir]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

function openLog(env: NodeJS.ProcessEnv): KafkaLog {
  const log = new KafkaLog({ brokers: kafka.saslBrokers!, clientId: 'sasl-test', security: kafkaSecurityFromEnv(env) });
  logs.push(log);
  return log;
}

const envFor = (u: KafkaSaslUser, password = u.password): NodeJS.ProcessEnv => ({
  HOMEOSTAT_KAFKA_TLS_CA: ca.certFile,
  HOMEOSTAT_KAFKA_SASL_MECHANISM: u.mechanism,
  HOMEOSTAT_KAFKA_SASL_USERNAME: u.username,
  HOMEOSTAT_KAFKA_SASL_PASSWORD: password,
});

async function roundTrip(log: KafkaLog, text: string): Promise<string[]> {
  const topic = `sasl-${randomUUID().slice(0, 8)}`;
  await log.createTopic(topic, { partitions: 1 });
  await log.append(topic, [{ key: 'k', value: Buffer.from(text) }]);
  const consumer = log.consumer({ groupId: `g-${topic}`, topics: [topic], fromBeginning: true });
  consumers.push(consumer);
  const got: LogRecord[] = [];
  const received = new Promise<void>((resolve) => {
    void consumer.run((b) => {
      got.push(...b.records);
      if (got.length > 0) resolve();
    });
  });
  await received;
  await consumer.stop();
  return got.map((r) => r.value.toString());
}

describe('Kafka log over SASL_SSL', () => {
  it.each(USERS.map((u) => [u.mechanism, u] as const))('%s: produce and consume with the right password', async (_m, user) => {
    expect(await roundTrip(openLog(envFor(user)), `hello ${user.username}`)).toEqual([`hello ${user.username}`]);
  });

  it('the password may come from a file (its trailing newline is not part of it)', async () => {
    const file = path.join(ca.dir, 'bob.password');
    fs.writeFileSync(file, `${USERS[1]!.password}\n`, { mode: 0o600 });
    const { HOMEOSTAT_KAFKA_SASL_PASSWORD: _p, ...env } = envFor(USERS[1]!);
    expect(await roundTrip(openLog({ ...env, HOMEOSTAT_KAFKA_SASL_PASSWORD_FILE: file }), 'from a file')).toEqual(['from a file']);
  });

  it.each(USERS.map((u) => [u.mechanism, u] as const))('%s: a wrong password fails with an error naming the SASL settings', async (_m, user) => {
    const log = openLog(envFor(user, 'wrong-password'));
    const err = (await log.createTopic(`never-${randomUUID().slice(0, 8)}`).then(() => undefined, (e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/kafka log: cannot connect: the broker refused the SASL login: check HOMEOSTAT_KAFKA_SASL_MECHANISM, HOMEOSTAT_KAFKA_SASL_USERNAME/);
    expect(err.message).toMatch(/authentication failed/i);
    expect(err.message).not.toContain('wrong-password');
  });

  it('a CA that did not sign the broker certificate fails with an error naming HOMEOSTAT_KAFKA_TLS_CA', async () => {
    const log = openLog({ ...envFor(USERS[0]!), HOMEOSTAT_KAFKA_TLS_CA: otherCa.certFile });
    const err = (await log.createTopic('never').then(() => undefined, (e: unknown) => e)) as Error;
    expect(err.message).toMatch(/certificate is not trusted: check HOMEOSTAT_KAFKA_TLS_CA/);
  });
});

describe('Kafka security settings', () => {
  it('are validated: mechanism, credentials, files, TLS pair', () => {
    expect(kafkaSecurityFromEnv({})).toEqual({});
    expect(kafkaSecurityFromEnv({ HOMEOSTAT_KAFKA_SASL_MECHANISM: 'scram_sha_512', HOMEOSTAT_KAFKA_SASL_USERNAME: 'u', HOMEOSTAT_KAFKA_SASL_PASSWORD: 'p' })).toEqual({
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
    });
    expect(kafkaSecurityFromEnv({ HOMEOSTAT_KAFKA_TLS: 'true' })).toEqual({ ssl: {} });
    expect(() => kafkaSecurityFromEnv({ HOMEOSTAT_KAFKA_SASL_MECHANISM: 'GSSAPI', HOMEOSTAT_KAFKA_SASL_USERNAME: 'u', HOMEOSTAT_KAFKA_SASL_PASSWORD: 'p' })).toThrow(
      /HOMEOSTAT_KAFKA_SASL_MECHANISM: must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512/,
    );
    expect(() => kafkaSecurityFromEnv({ HOMEOSTAT_KAFKA_SASL_MECHANISM: 'PLAIN', HOMEOSTAT_KAFKA_SASL_USERNAME: 'u' })).toThrow(/HOMEOSTAT_KAFKA_SASL_PASSWORD: set exactly one of/);
    expect(() => kafkaSecurityFromEnv({ HOMEOSTAT_KAFKA_SASL_USERNAME: 'u', HOMEOSTAT_KAFKA_SASL_PASSWORD: 'p' })).toThrow(/HOMEOSTAT_KAFKA_SASL_MECHANISM: SASL credentials are set but no mechanism/);
    expect(() => kafkaSecurityFromEnv({ HOMEOSTAT_KAFKA_TLS_CA: '/nonexistent/ca.pem' })).toThrow(/HOMEOSTAT_KAFKA_TLS_CA: cannot read \/nonexistent\/ca.pem \(ENOENT\)/);
    expect(() => kafkaSecurityFromEnv({ HOMEOSTAT_KAFKA_TLS_CERT: ca.certFile })).toThrow(/HOMEOSTAT_KAFKA_TLS_KEY: HOMEOSTAT_KAFKA_TLS_CERT and HOMEOSTAT_KAFKA_TLS_KEY must be set together/);
  });
});
