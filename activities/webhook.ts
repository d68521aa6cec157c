import { z } from 'zod';
import { HomeostatError } from '../common/errors';

export const WebhookUrl = z.string().url();

export interface WebhookDelivery {
  delivered: boolean;
  status?: number;
  detail: string;
}

/**
 * POSTs a JSON body and reports what happened. A network error or non-2xx answer is thrown as
 * HS_SERVICE_UNAVAILABLE so the activity retries with backoff; the caller decides what "no
 * webhook configured" means.
 */
export async function postJson(url: string, body: unknown, timeoutMs = 10_000): Promise<WebhookDelivery> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
    throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `webhook ${url} could not be reached: ${cause}`);
  }
  if (!res.ok) {
    throw new HomeostatError('HS_SERVICE_UNAVAILABLE', `webhook ${url} answered ${res.status} ${res.statusText}`);
  }
  return { delivered: true, status: res.status, detail: `POST ${url} → ${res.status}` };
}
