/**
 * Bearer tokens for Homeostat's HTTP endpoints (the sentinel's API, the codec server).
 *
 * Tokens come from a file (one per line, `#` comments; re-read when it changes, so a token is
 * rotated by adding the new one, moving clients over, then deleting the old line) and/or an
 * environment variable (comma- or whitespace-separated). Several tokens are valid at once for
 * exactly that rotation. A presented token is compared with every configured one in constant
 * time: both sides are hashed to 32 bytes first, so neither the length nor the position of the
 * first differing byte shows in the timing, and the loop never exits early.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import { HomeostatError } from './errors';

/** Shorter tokens are refused at load: a guessable token is worse than an honest "no auth". */
export const MIN_TOKEN_LENGTH = 16;

export interface TokenSources {
  /** File of tokens, one per line. */
  file?: string;
  /** The value of an environment variable holding tokens (comma / whitespace separated). */
  value?: string;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

function parseTokens(text: string, where: string): string[] {
  const tokens = text
    .split(/[\n,\s]+/)
    .map((t) => t.trim())
    .filter((t) => t.length > 0 && !t.startsWith('#'));
  const short = tokens.find((t) => t.length < MIN_TOKEN_LENGTH);
  if (short !== undefined) throw new HomeostatError('HS_INVALID_INPUT', `${where}: a token is shorter than ${MIN_TOKEN_LENGTH} characters (use e.g. \`openssl rand -hex 32\`)`);
  return tokens;
}

function stripComments(text: string): string {
  return text
    .split('\n')
    .map((l) => (l.trimStart().startsWith('#') ? '' : l))
    .join('\n');
}

export class BearerTokens {
  private fileDigests: Buffer[] = [];
  private readonly envDigests: Buffer[];
  private fileStamp = '';
  private checkedAt = 0;

  constructor(private readonly sources: TokenSources, private readonly reloadEveryMs = 1_000) {
    this.envDigests = sources.value ? parseTokens(sources.value, 'token environment variable').map(digest) : [];
    if (sources.file) this.reload(true);
  }

  /** Whether any token is configured (an endpoint without one is open). */
  get configured(): boolean {
    this.maybeReload();
    return this.envDigests.length + this.fileDigests.length > 0;
  }

  /** Whether an `Authorization` header carries one of the tokens (scheme `Bearer`, any case). */
  accepts(header: string | undefined): boolean {
    this.maybeReload();
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) return false;
    const presented = digest(m[1]);
    let ok = false;
    for (const d of [...this.envDigests, ...this.fileDigests]) ok = timingSafeEqual(presented, d) || ok;
    return ok;
  }

  private maybeReload(): void {
    if (!this.sources.file) return;
    const now = Date.now();
    if (now - this.checkedAt < this.reloadEveryMs) return;
    this.checkedAt = now;
    this.reload(false);
  }

  private reload(first: boolean): void {
    const file = this.sources.file!;
    try {
      const st = fs.statSync(file);
      const stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
      if (stamp === this.fileStamp) return;
      this.fileDigests = parseTokens(stripComments(fs.readFileSync(file, 'utf8')), `token file ${file}`).map(digest);
      this.fileStamp = stamp;
    } catch (err) {
      if (first) throw err instanceof HomeostatError ? err : new HomeostatError('HS_INVALID_INPUT', `token file ${file}: ${(err as Error).message}`);
      // A file mid-rewrite or removed: a rotation must never open the endpoint, so no token is
      // valid until it reads cleanly again.
      this.fileDigests = [];
      this.fileStamp = '';
    }
  }
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** An endpoint reachable from other machines must not run without a token. */
export function assertBindAllowed(host: string, tokens: BearerTokens, what: string, hint: string): void {
  if (!isLoopback(host) && !tokens.configured) {
    throw new HomeostatError('HS_INVALID_INPUT', `${what}: refusing to listen on ${host} without a bearer token (anyone who can reach it could use it); ${hint}, or bind to 127.0.0.1`);
  }
}

/**
 * `fetch` that presents `token` as a bearer token (plain `fetch` without one): how Homeostat's own
 * clients — the worker's health probes, drills, tests — call an endpoint that requires one.
 */
export function bearerFetch(token: string | undefined): typeof fetch {
  if (!token) return fetch;
  return (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };
}

/**
 * The token a client presents to the sentinel: `HOMEOSTAT_HEALTH_TOKEN`, else the first token of
 * the file `HOMEOSTAT_HEALTH_TOKEN_FILE` (the sentinel's own token file serves, rotation order aside).
 */
export function clientTokenFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.HOMEOSTAT_HEALTH_TOKEN) return env.HOMEOSTAT_HEALTH_TOKEN.trim();
  const file = env.HOMEOSTAT_HEALTH_TOKEN_FILE;
  if (!file) return undefined;
  return firstToken(fs.readFileSync(file, 'utf8'));
}

/** The first token of a token file's text. */
export function firstToken(text: string): string | undefined {
  return stripComments(text)
    .split(/[\n,\s]+/)
    .map((t) => t.trim())
    .find((t) => t.length > 0);
}

/** A fresh random token (256 bits, hex) for a stack that makes its own. */
export function newToken(): string {
  return randomBytes(32).toString('hex');
}
