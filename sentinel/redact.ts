/**
 * Raw samples of sensitive components never leave the sentinel.
 *
 * Evidence carries recent records (and Alertmanager alerts) as samples so an operator can see
 * what the detectors saw; for a component tagged PII, PHI or PCI those records may hold the very
 * data the tag protects, and Temporal history is read by more people (and kept longer) than the
 * pipeline itself. This opener wraps the real one — every incident action passes through an
 * opener, from the stream and from HTTP alike — and replaces each sample by its identifying,
 * non-data fields (kind, signal, timestamp, alert name and status) plus the tags that caused the
 * redaction. Detector scores and summaries stay: they are numbers and texts the sentinel wrote.
 */
import type { Evidence, IncidentInput } from '../workflows/shared';
import type { IncidentOpener } from './incidents';

/** Fields of a sample that say what it was, never what it contained. */
const KEPT = ['kind', 'signal', 'ts', 'status', 'startsAt', 'endsAt'] as const;
const KEPT_LABELS = ['alertname', 'pipeline', 'component', 'fault', 'severity'] as const;

export function redactSample(sample: unknown, tags: readonly string[]): unknown {
  const out: Record<string, unknown> = { redacted: [...tags] };
  if (typeof sample !== 'object' || sample === null) return out;
  const r = sample as Record<string, unknown>;
  for (const k of KEPT) if (typeof r[k] === 'string' || typeof r[k] === 'number') out[k] = r[k];
  const labels = r.labels;
  if (typeof labels === 'object' && labels !== null) {
    const l = labels as Record<string, unknown>;
    const kept = Object.fromEntries(KEPT_LABELS.filter((k) => typeof l[k] === 'string').map((k) => [k, l[k]]));
    if (Object.keys(kept).length > 0) out.labels = kept;
  }
  return out;
}

export function redactEvidence(e: Evidence, tags: readonly string[]): Evidence {
  if (tags.length === 0 || !e.samples) return e;
  return { ...e, samples: e.samples.map((s) => redactSample(s, tags)) };
}

export class RedactingOpener implements IncidentOpener {
  readonly delivered?: IncidentOpener['delivered'];

  constructor(
    private readonly inner: IncidentOpener,
    /** Tags that require redaction for this component (empty: none). */
    private readonly tagsOf: (pipeline: string, component: string) => readonly string[],
  ) {
    if (inner.delivered) this.delivered = inner.delivered.bind(inner);
  }

  open(input: IncidentInput, evidence: Evidence): Promise<void> {
    const tags = this.tagsOf(input.pipeline, input.component);
    if (tags.length === 0) return this.inner.open(input, evidence);
    return this.inner.open({ ...input, evidence: input.evidence.map((x) => redactEvidence(x, tags)) }, redactEvidence(evidence, tags));
  }

  evidence(pipeline: string, component: string, evidence: Evidence): Promise<boolean> {
    return this.inner.evidence(pipeline, component, redactEvidence(evidence, this.tagsOf(pipeline, component)));
  }
}

/** The tags of `sensitivity` that are in `redactTags`. */
export function redactionTags(sensitivity: readonly string[], redactTags: readonly string[]): string[] {
  return sensitivity.filter((t) => redactTags.includes(t));
}
