/**
 * Key → partition, identical to Kafka's default partitioner (murmur2 of the UTF-8 key bytes,
 * made positive, modulo the partition count) so that the embedded log and Kafka put a pipeline's
 * records on the same partition number, and kafkajs's `Partitioners.DefaultPartitioner` agrees.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  // Tail bytes, falling through exactly like the Java switch.
  const rest = length & 3;
  if (rest === 3) h ^= data[whole + 2] << 16;
  if (rest >= 2) h ^= data[whole + 1] << 8;
  if (rest >= 1) {
    h ^= data[whole];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

// Keys repeat (one per pipeline): cache their partition so the hot path hashes each key once.
const cache = new Map<string, number>();
const CACHE_LIMIT = 100_000;

/** Partition of `key` among `partitions` partitions; null keys go to partition 0. */
export function partitionFor(key: string | null | undefined, partitions: number): number {
  if (key === null || key === undefined) return 0;
  const cacheKey = `${partitions}\u0000${key}`;
  const hit = cache.get(cacheKey);
  if (hit !== undefined) return hit;
  const p = (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions;
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(cacheKey, p);
  return p;
}
