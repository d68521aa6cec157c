/**
 * End-to-end encryption of Temporal payloads: workflow inputs, results, signals, updates, queries,
 * activity arguments and memos pass through this codec in the worker, the sentinel and the CLI,
 * so Temporal (its database, its operators, anyone reading history) holds only ciphertext.
 * Search attributes are not payloads of the codec: they stay plain for filtering, and carry only
 * pipeline, component, stage and outcome names.
 *
 * AES-256-GCM, a fresh 96-bit nonce per payload; the whole original payload (its metadata and
 * data) is encrypted, so not even the encoding (json/plain, binary/null…) shows. The key id is
 * in the encrypted payload's metadata: several keys can be configured, the first encrypts, all
 * decrypt — rotate by putting a new key first and keeping the old ones until no open history
 * needs them (payloads of closed workflows are decrypted with whichever key id they name).
 *
 * Keys: HOMEOSTAT_CODEC_KEYS (`id:base64key,id2:base64key`) or HOMEOSTAT_CODEC_KEY_FILE (one
 * `id:base64key` per line, `#` comments); a key is 32 random bytes (`openssl rand -base64 32`).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { HomeostatError } from './errors';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
/** Additional authenticated data: a ciphertext cannot be passed off as some other format's. */
const AAD = Buffer.from('homeostat-payload-v1');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface CodecKey {
  id: string;
  key: Buffer;
}

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
const str = (b: Uint8Array | null | undefined): string => (b ? Buffer.from(b).toString('utf8') : '');

/**
 * The plaintext of one payload: a length-prefixed JSON of its metadata (values base64), then
 * its data as is.
 */
function serialise(p: Payload): Buffer {
  const metadata = Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]));
  const head = Buffer.from(JSON.stringify(metadata), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(head.length);
  return Buffer.concat([len, head, Buffer.from(p.data ?? new Uint8Array())]);
}

function deserialise(b: Buffer): Payload {
  const n = b.readUInt32BE(0);
  const metadata = JSON.parse(b.subarray(4, 4 + n).toString('utf8')) as Record<string, string>;
  return {
    metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
    data: new Uint8Array(b.subarray(4 + n)),
  };
}

export class AesGcmCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: readonly CodecKey[]) {
    if (keys.length === 0) throw new HomeostatError('HS_INVALID_INPUT', 'payload codec: no key configured');
    for (const k of keys) {
      if (k.key.length !== 32) throw new HomeostatError('HS_INVALID_INPUT', `payload codec: key "${k.id}" is ${k.key.length} bytes, AES-256 needs 32 (make one with \`openssl rand -base64 32\`)`);
    }
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
    if (this.byId.size !== keys.length) throw new HomeostatError('HS_INVALID_INPUT', 'payload codec: two keys share an id');
  }

  /** Id of the key new payloads are encrypted with. */
  get activeKeyId(): string {
    return this.keys[0]!.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keys[0]!;
    return payloads.map((p) => {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      cipher.setAAD(AAD);
      const body = Buffer.concat([cipher.update(serialise(p)), cipher.final()]);
      return {
        metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(id) },
        data: new Uint8Array(Buffer.concat([nonce, body, cipher.getAuthTag()])),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (str(p.metadata?.encoding) !== ENCRYPTED_ENCODING) return p;
      const id = str(p.metadata?.[KEY_ID_METADATA]);
      const key = this.byId.get(id);
      if (!key) throw new HomeostatError('HS_INVALID_INPUT', `payload codec: payload encrypted with key "${id}", which is not configured (keys: ${[...this.byId.keys()].join(', ')})`);
      const b = Buffer.from(p.data ?? new Uint8Array());
      if (b.length < NONCE_BYTES + TAG_BYTES) throw new HomeostatError('HS_INVALID_INPUT', 'payload codec: encrypted payload too short');
      const decipher = createDecipheriv('aes-256-gcm', key, b.subarray(0, NONCE_BYTES));
      decipher.setAAD(AAD);
      decipher.setAuthTag(b.subarray(b.length - TAG_BYTES));
      try {
        return deserialise(Buffer.concat([decipher.update(b.subarray(NONCE_BYTES, b.length - TAG_BYTES)), decipher.final()]));
      } catch {
        throw new HomeostatError('HS_INVALID_INPUT', `payload codec: payload with key "${id}" failed authentication (tampered, or a different key under the same id)`);
      }
    });
  }
}

/** `id:base64key` entries, separated by commas or new lines; `#` starts a comment line. */
export function parseCodecKeys(text: string, where: string): CodecKey[] {
  const entries = text
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join(',')
    .split(/[,\s]+/)
    .map((e) => e.trim())
    .filter(Boolean);
  return entries.map((e) => {
    const at = e.indexOf(':');
    if (at <= 0) throw new HomeostatError('HS_INVALID_INPUT', `${where}: entries are id:base64key, got one without an id`);
    const id = e.slice(0, at);
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new HomeostatError('HS_INVALID_INPUT', `${where}: key id "${id.slice(0, 64)}" must be letters, digits, . _ or -`);
    return { id, key: Buffer.from(e.slice(at + 1), 'base64') };
  });
}

/** The codec the environment configures, or undefined when it configures none. */
export function codecFromEnv(env: NodeJS.ProcessEnv = process.env): AesGcmCodec | undefined {
  const keys: CodecKey[] = [];
  if (env.HOMEOSTAT_CODEC_KEYS) keys.push(...parseCodecKeys(env.HOMEOSTAT_CODEC_KEYS, 'HOMEOSTAT_CODEC_KEYS'));
  const file = env.HOMEOSTAT_CODEC_KEY_FILE;
  if (file) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new HomeostatError('HS_INVALID_INPUT', `HOMEOSTAT_CODEC_KEY_FILE: cannot read ${file} (${(err as Error).message})`);
    }
    keys.push(...parseCodecKeys(text, `codec key file ${file}`));
  }
  return keys.length > 0 ? new AesGcmCodec(keys) : undefined;
}

/**
 * Data converter for every Temporal client and worker of Homeostat: the codec of the
 * environment, or Temporal's default when no key is configured. (The payload converter stays
 * the default JSON one, so workflows bundle unchanged: codecs run outside the sandbox.)
 */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const codec = codecFromEnv(env);
  return codec ? { payloadCodecs: [codec] } : undefined;
}

/** A fresh key entry for a key file: `id:base64key`. */
export function newCodecKey(id: string): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}
