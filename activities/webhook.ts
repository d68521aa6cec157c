import { z } from 'zod';

export const WebhookUrl = z.string().url();

export interface WebhookDelivery {
  delivered: boolean;
  status?: number;
  detail: string;
}

/**
 * POSTs a JSON body and reports what happened. A network error or non-2xx answer is thrown so
 * the activity retries with backoff; the caller decides what "no webhook configured" means.
 */
export async function postJson(url: string, body: unknown, timeoutMs = 10_000): Promise<WebhookDelivery> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) {
    throw new Error(`webhook ${url} answered ${res.status} ${res.statusText}`);
  }
  return { delivered: true, status: res.status, detail: `POST ${url} → ${res.status}` };
}
