/**
 * The worker's outcome-telemetry reader (IncidentDeps.outcomeTelemetry) backed by the sentinel's
 * trail: `GET <base>/trail/<pipeline>/<component>?from=&to=` (sentinel/http.ts, sentinel/trail.ts).
 * It throws on anything but a well-formed 200 — learn treats a failing reader as "unmeasured"
 * (readTelemetry in learn.ts), which is the honest answer when the sentinel cannot say.
 */
import { z } from 'zod';
import type { IncidentDeps } from './deps';
import { parseTelemetryReadings } from './outcome-measure';

export type OutcomeTelemetry = NonNullable<IncidentDeps['outcomeTelemetry']>;

const trailAnswer = z.object({ readings: z.unknown() });
/** The part of the sentinel's component view (`GET /health/:pipeline/:component`) the reader uses. */
const liveView = z.object({ healthIndex: z.number().min(0).max(1), lastRecordAt: z.string().datetime().nullable() });

/**
 * A reader asking the sentinel at `baseUrl()` (resolved per call: the local stack learns its
 * sentinel's port after the worker's dependencies are built) with `fetchImpl` (the bearer-token
 * fetch: the trail carries measurements and is never an open endpoint).
 */
export function sentinelTrailReader(baseUrl: () => string | undefined, fetchImpl: typeof fetch = fetch): OutcomeTelemetry {
  return async ({ pipeline, component, from, to }) => {
    const base = baseUrl();
    if (!base) throw new Error('no sentinel URL configured for the outcome trail');
    if (!Number.isFinite(from) || !Number.isFinite(to)) throw new Error(`outcome trail: range ${from}..${to} is not a pair of epoch ms`);
    // Widened to whole ms outwards: the sentinel takes digits only, and its buckets are whole seconds anyway.
    const query = `from=${Math.max(0, Math.floor(from))}&to=${Math.max(0, Math.ceil(to))}`;
    const res = await fetchImpl(`${componentUrl(base, 'trail', pipeline, component)}?${query}`, { signal: AbortSignal.timeout(5_000) });
    if (res.status !== 200) throw new Error(`sentinel answered ${res.status} to GET /trail/${pipeline}/${component}`);
    const answer = trailAnswer.safeParse(await res.json());
    const readings = answer.success ? parseTelemetryReadings(answer.data.readings) : undefined;
    if (!readings) throw new Error(`sentinel's trail answer for ${pipeline}/${component} not understood`);
    const live = await liveReading(componentUrl(base, 'health', pipeline, component), fetchImpl);
    return live && live.at >= from && live.at <= to ? [...readings, live] : readings;
  };
}

/** `<base>/<route>/<pipeline>/<component>`, names escaped. */
function componentUrl(base: string, route: 'trail' | 'health', pipeline: string, component: string): string {
  return `${base.replace(/\/$/, '')}/${route}/${encodeURIComponent(pipeline)}/${encodeURIComponent(component)}`;
}

/**
 * The component's health as of its latest record, when the sentinel can say. The trail's buckets
 * are stamped with the second they start, so right after a quick verification (learn runs within
 * a second of it) the health that followed the repair sits in a bucket stamped before the verdict,
 * or in none yet; the live view is the reading that is certainly after it. Best effort: without
 * it learn has the trail alone.
 */
async function liveReading(url: string, fetchImpl: typeof fetch): Promise<{ at: number; healthIndex: number } | undefined> {
  try {
    const res = await fetchImpl(url, { signal: AbortSignal.timeout(5_000) });
    if (res.status !== 200) return undefined;
    const view = liveView.safeParse(await res.json());
    if (!view.success || view.data.lastRecordAt === null) return undefined;
    return { at: Date.parse(view.data.lastRecordAt), healthIndex: view.data.healthIndex };
  } catch {
    return undefined;
  }
}
