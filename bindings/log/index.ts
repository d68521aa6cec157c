/**
 * Opens a Log from configuration: `{ kind: 'embedded', file }` or `{ kind: 'kafka', brokers }`.
 * The configuration is validated with zod because it crosses a boundary (CLI flags, env, files).
 */
import path from 'node:path';
import { z } from 'zod';
import { HomeostatError } from '../../common/errors';
import { stateDir } from '../../common/paths';
import { formatZodIssues } from '../../common/zod-errors';
import { EmbeddedLog } from './embedded';
import { KafkaLog } from './kafka';
import type { Log } from './types';

export * from './types';
export { EmbeddedLog, type EmbeddedLogOptions } from './embedded';
export { KafkaLog, type KafkaLogOptions } from './kafka';
export { type EmbeddedConsumerOptions } from './embedded-consumer';
export { type KafkaConsumerOptions } from './kafka-consumer';
export { partitionFor, murmur2 } from './partitioner';
export { sendToDeadLetter, parseDeadLetter, readDeadLetters, DLQ_HEADERS, type DeadLetterInput, type DeadLetterEntry } from './dead-letter';

/** The embedded log every local process shares by default: `$HOMEOSTAT_LOG_FILE`, else `<stateDir>/log.db`. */
export function defaultEmbeddedLogFile(): string {
  return process.env.HOMEOSTAT_LOG_FILE ?? path.join(stateDir(), 'log.db');
}

export const logConfigSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('embedded'),
    file: z.string().min(1),
    defaultPartitions: z.number().int().min(1).optional(),
    synchronous: z.enum(['normal', 'full']).optional(),
  }),
  z.object({
    kind: z.literal('kafka'),
    brokers: z.array(z.string().min(1)).min(1),
    clientId: z.string().optional(),
    defaultPartitions: z.number().int().min(1).optional(),
    replicationFactor: z.number().int().min(1).optional(),
  }),
]);
export type LogConfig = z.infer<typeof logConfigSchema>;

export function openLog(config: unknown): Log {
  const parsed = logConfigSchema.safeParse(config);
  if (!parsed.success) throw new HomeostatError('HS_INVALID_INPUT', `log configuration: ${formatZodIssues(parsed.error).join('; ')}`);
  const c = parsed.data;
  return c.kind === 'embedded' ? new EmbeddedLog(c) : new KafkaLog(c);
}
