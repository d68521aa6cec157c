/**
 * Alertmanager's API v2, the parts Homeostat acts through: silences (created for a component's
 * alerts while its repair runs, expired when the incident closes) and the alerts it holds (a
 * repair's verification asks whether the component's alerts have resolved). Every answer is
 * validated; an unreachable or refusing Alertmanager is an error naming the call.
 */
import { z } from 'zod';
import { HomeostatError } from '../common/errors';

export interface Matcher {
  name: string;
  value: string;
  isRegex?: boolean;
  isEqual?: boolean;
}

export interface SilenceInput {
  matchers: Matcher[];
  startsAt: Date;
  endsAt: Date;
  createdBy: string;
  comment: string;
  /** Updates this silence instead of creating one. */
  id?: string;
}

const matcherSchema = z.object({ name: z.string(), value: z.string(), isRegex: z.boolean(), isEqual: z.boolean().optional() });

export const silenceSchema = z.object({
  id: z.string(),
  status: z.object({ state: z.enum(['active', 'pending', 'expired']) }),
  matchers: z.array(matcherSchema),
  startsAt: z.string(),
  endsAt: z.string(),
  createdBy: z.string(),
  comment: z.string(),
  updatedAt: z.string().optional(),
});
export type Silence = z.infer<typeof silenceSchema>;

export const alertSchema = z.object({
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()).default({}),
  startsAt: z.string(),
  endsAt: z.string(),
  fingerprint: z.string(),
  status: z.object({ state: z.enum(['unprocessed', 'active', 'suppressed']), silencedBy: z.array(z.string()).default([]), inhibitedBy: z.array(z.string()).default([]) }),
});
export type ActiveAlert = z.infer<typeof alertSchema>;

/** Alertmanager filter syntax: `name="value"`, values escaped as Go strings. */
const filter = (m: Matcher): string => `${m.name}${m.isEqual === false ? '!' : ''}${m.isRegex ? '=~' : '='}${JSON.stringify(m.value)}`;

export class AlertmanagerClient {
  constructor(
    readonly url: string,
    private readonly timeoutMs = 5_000,
  ) {}

  private async call<T>(what: string, pathAndQuery: string, schema: z.ZodType<T>, init: RequestInit = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${pathAndQuery}`, { ...init, headers: { 'content-type': 'application/json', ...(init.headers ?? {}) }, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `Alertmanager ${this.url}: ${what} failed: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `Alertmanager ${this.url}: ${what} answered ${res.status}: ${text.slice(0, 300)}`);
    const parsed = schema.safeParse(text ? JSON.parse(text) : undefined);
    if (!parsed.success) throw new HomeostatError('HS_INVALID_INPUT', `Alertmanager ${this.url}: ${what}: unexpected answer (${parsed.error.issues[0]?.message ?? 'invalid'})`);
    return parsed.data;
  }

  /** Creates (or, with `id`, updates) a silence; returns its id. */
  async createSilence(s: SilenceInput): Promise<string> {
    const body = {
      ...(s.id ? { id: s.id } : {}),
      matchers: s.matchers.map((m) => ({ name: m.name, value: m.value, isRegex: m.isRegex ?? false, isEqual: m.isEqual ?? true })),
      startsAt: s.startsAt.toISOString(),
      endsAt: s.endsAt.toISOString(),
      createdBy: s.createdBy,
      comment: s.comment,
    };
    const r = await this.call('create silence', '/api/v2/silences', z.object({ silenceID: z.string() }), { method: 'POST', body: JSON.stringify(body) });
    return r.silenceID;
  }

  /** Expires a silence; expiring one that has already expired is not an error. */
  async expireSilence(id: string): Promise<void> {
    const current = await this.silence(id);
    if (!current || current.status.state === 'expired') return;
    await this.call('expire silence', `/api/v2/silence/${encodeURIComponent(id)}`, z.unknown(), { method: 'DELETE' });
  }

  async silence(id: string): Promise<Silence | undefined> {
    try {
      return await this.call('get silence', `/api/v2/silence/${encodeURIComponent(id)}`, silenceSchema);
    } catch (err) {
      if (err instanceof HomeostatError && / answered 404/.test(err.message)) return undefined;
      throw err;
    }
  }

  async silences(matchers: Matcher[] = []): Promise<Silence[]> {
    const q = matchers.map((m) => `filter=${encodeURIComponent(filter(m))}`).join('&');
    return this.call('list silences', `/api/v2/silences${q ? `?${q}` : ''}`, z.array(silenceSchema));
  }

  /** Alerts Alertmanager holds as firing (active, silenced or inhibited) for the matchers. */
  async alerts(matchers: Matcher[] = []): Promise<ActiveAlert[]> {
    const q = ['active=true', 'silenced=true', 'inhibited=true', ...matchers.map((m) => `filter=${encodeURIComponent(filter(m))}`)].join('&');
    return this.call('list alerts', `/api/v2/alerts?${q}`, z.array(alertSchema));
  }
}
