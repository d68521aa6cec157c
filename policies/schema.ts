/**
 * The policy file: what each pipeline looks like, which repairs may run on it and under which
 * guard rails. Validated with zod; `z.toJSONSchema` of `PolicyFileSchema` is the editor schema
 * (policies/policy.schema.json). Every optional field has a default, so the loaded config is
 * complete and the engine and safety layer never guess.
 * Pure: no I/O, safe to import from workflow code.
 */
import { z } from 'zod';
import { cronError, MAX_CRON_WINDOW_MS } from './cron';
import { DURATION_PATTERN, parseDuration } from './duration';
import { FAULT_CLASSES, MODES, REPAIR_ACTIONS, SEVERITIES, type FaultClass, type RepairAction } from './taxonomy';

export const POLICY_FILE_VERSION = 1;

const faultClass = z.enum(FAULT_CLASSES as [FaultClass, ...FaultClass[]]);
const action = z.enum(REPAIR_ACTIONS);
const severity = z.enum(SEVERITIES);
const mode = z.enum(MODES);
const name = z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'expected a lower-case name: letters, digits, . _ -');
const fraction = z.number().min(0).max(1);

const DURATION_MESSAGE = 'expected a duration: milliseconds, or a number followed by ms, s, m, h or d (e.g. 5m)';

/** Milliseconds, written either as a number or as `30s` / `5m` / `1h` / `1d`. */
const duration = z
  .union([z.number().int().nonnegative(), z.string().regex(new RegExp(DURATION_PATTERN), DURATION_MESSAGE)], {
    error: DURATION_MESSAGE,
  })
  .transform((v) => (typeof v === 'number' ? v : (parseDuration(v) as number)));

/** Data-sensitivity tags (PHI, PCI, PII…): upper-case so `phi` and `PHI` cannot both exist. */
export const SensitivityTagSchema = z.string().regex(/^[A-Z][A-Z0-9_-]*$/, 'expected an upper-case tag such as PHI, PCI or PII');

const ComponentSchema = z.strictObject({
  name,
  description: z.string().optional(),
  /** Layer that hosts the component's main failure modes, used for case similarity. */
  layer: z.enum(['infrastructure', 'data', 'model']).optional(),
  sensitivity: z.array(SensitivityTagSchema).default([]).describe('data-sensitivity tags such as PHI, PCI, PII; approval rules match them'),
  /** Replicas/instances; scale-out and blast radius read it. */
  replicas: z.number().int().positive().default(1),
});

const EdgeSchema = z.strictObject({ from: name, to: name });

const SloSchema = z.strictObject({
  latencyMs: z.number().positive().describe('ℓ: the end-to-end latency (ms) a repair may cause at most'),
  qualityFloor: fraction.default(0).describe('θ: quality floor (accuracy, valid-record ratio…) in [0, 1]'),
  maxLoss: fraction.default(0.05).describe('η: tolerable loss of data or model quality while repairing, in [0, 1]'),
});

/** An approval rule matches when every condition it states holds; a matching rule requires approval. */
const ApprovalRuleSchema = z
  .strictObject({
  name: z.string().optional(),
  minSeverity: severity.optional(),
  minRisk: z.number().int().min(0).optional(),
  sensitivity: z.array(SensitivityTagSchema).optional(),
  actions: z.array(action).optional(),
  faultClasses: z.array(faultClass).optional(),
  roles: z.array(z.string().min(1)).optional().describe("roles allowed to approve what this rule catches; default: the pipeline's approverRoles"),
  })
  .describe('matches when every condition it states holds; a matching rule requires approval');

const ApprovalSchema = z
  .strictObject({
    /** How long to wait for an approval before escalating; approvals for the plan expire with it. */
    timeout: duration.default(3_600_000),
    approverRoles: z.array(z.string().min(1)).default(['oncall']),
    rules: z.array(ApprovalRuleSchema).default([
      { name: 'sensitive-data', sensitivity: ['PHI', 'PCI'] },
      { name: 'critical-severity', minSeverity: 'critical' },
      { name: 'high-risk-action', minRisk: 5 },
    ]),
  })
  .prefault({});

const CooldownSchema = z
  .strictObject({
    default: duration.default(300_000),
    perAction: z.partialRecord(action, duration).default({}),
  })
  .prefault({});

const RateLimitSchema = z
  .strictObject({ maxActions: z.number().int().positive().default(10), window: duration.default(3_600_000) })
  .prefault({});

const BlastRadiusSchema = z
  .strictObject({
    maxConcurrentRemediations: z.number().int().positive().default(2),
    minHealthyFraction: fraction.default(0.5),
  })
  .prefault({});

const FreezeWindowSchema = z
  .strictObject({
    name: z.string().min(1),
    /** Recurring: a five-field UTC cron expression marking each window's start… */
    cron: z.string().optional(),
    /** …and how long each window lasts. */
    duration: duration.optional(),
    /** Absolute: ISO-8601 start and end (UTC). */
    start: z.iso.datetime({ offset: true }).optional(),
    end: z.iso.datetime({ offset: true }).optional(),
    effect: z.enum(['deny', 'require-approval']).default('deny'),
    /** Limit the freeze to some actions; default: every remediation. */
    actions: z.array(action).optional(),
  })
  .describe('a change freeze: recurring (cron + duration, UTC) or absolute (start + end)')
  .superRefine((w, ctx) => {
    const recurring = w.cron !== undefined || w.duration !== undefined;
    const absolute = w.start !== undefined || w.end !== undefined;
    if (recurring === absolute) {
      ctx.addIssue({ code: 'custom', message: 'give either cron + duration or start + end', path: [] });
      return;
    }
    if (recurring) {
      if (w.cron === undefined) ctx.addIssue({ code: 'custom', message: 'cron is required with duration', path: ['cron'] });
      if (w.duration === undefined) ctx.addIssue({ code: 'custom', message: 'duration is required with cron', path: ['duration'] });
      const bad = w.cron === undefined ? undefined : cronError(w.cron);
      if (bad) ctx.addIssue({ code: 'custom', message: `invalid cron: ${bad}`, path: ['cron'] });
      if (w.duration !== undefined && w.duration > MAX_CRON_WINDOW_MS) {
        ctx.addIssue({ code: 'custom', message: 'a recurring window may last at most 31d', path: ['duration'] });
      }
    } else {
      if (w.start === undefined) ctx.addIssue({ code: 'custom', message: 'start is required with end', path: ['start'] });
      if (w.end === undefined) ctx.addIssue({ code: 'custom', message: 'end is required with start', path: ['end'] });
      if (w.start && w.end && Date.parse(w.end) <= Date.parse(w.start)) {
        ctx.addIssue({ code: 'custom', message: 'end must be after start', path: ['end'] });
      }
    }
  });

const LoopDetectionSchema = z
  .strictObject({ maxRepeats: z.number().int().positive().default(3), window: duration.default(3_600_000) })
  .describe('the same action on the same resource maxRepeats times within window → deny and escalate to a human')
  .prefault({});

const PromotionSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    precisionBar: fraction.default(0.9),
    /** Demote when precision falls below this; default: the precision bar. */
    demotionBar: fraction.optional(),
    minCases: z.number().int().positive().default(20),
    /** Only the most recent decided cases count, so old behaviour ages out. */
    window: z.number().int().positive().default(100),
  })
  .prefault({});

/**
 * Verification probes as soon as the repair completes and keeps probing, every `probeEvery`, until
 * the probes pass `passesInARow` times in a row or the deadline passes. Both are learned per
 * action from past verification times (policies/verification.ts) within these bounds.
 */
const VerificationSchema = z
  .strictObject({
    /**
     * Incidents started before the verify-until-stable patch waited this long before their one
     * probe; since, a repair is given at least this long (with `deadline.min`) before it fails.
     */
    settle: duration.default(30_000),
    /** Rungs of the escalation ladder tried per incident before a human is called. */
    maxAttempts: z.number().int().positive().default(3),
    probeEvery: duration.default(1_000).describe('pause between two probe rounds of one verification'),
    passesInARow: z
      .strictObject({
        min: z.number().int().positive().default(2),
        max: z.number().int().positive().default(5),
      })
      .prefault({})
      .refine((p) => p.min <= p.max, { message: 'passesInARow.min must not exceed passesInARow.max' })
      .describe('how many consecutive passing probe rounds verify a repair (more for actions whose verifications flapped)'),
    deadline: z
      .strictObject({
        min: duration.default(10_000),
        /** Used while an action has no past verification time to learn from. */
        initial: duration.default(30_000),
        max: duration.default(120_000),
      })
      .prefault({})
      .refine((d) => d.min <= d.initial && d.initial <= d.max, { message: 'deadline must satisfy min <= initial <= max' })
      .describe('how long a repair may take to pass its probes, learned per action from past verification times'),
  })
  .prefault({});

const EngineSchema = z
  .strictObject({
    /** λ in argmin E[C] − λ E[R]. */
    lambda: z.number().nonnegative().default(1),
    /** ε for ε-greedy exploration; used only in shadow mode and drills. */
    epsilon: fraction.default(0.1),
    learningRate: z.number().gt(0).max(1).default(0.2),
    discount: fraction.default(0.5),
  })
  .prefault({});

/**
 * Which model registry the pipeline's models live in: the embedded one (the knowledge base) or
 * MLflow, whose alias serving stages load (`models:/<name>@<alias>`). Repair templates act on it.
 */
export const ModelRegistryBindingSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('embedded') }),
  z.strictObject({
    kind: z.literal('mlflow'),
    trackingUri: z.url().optional().describe('the MLflow tracking server; MLFLOW_TRACKING_URI when omitted'),
    alias: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, 'must be an MLflow alias (letters, digits, _ and -)').default('champion'),
  }),
]);

const k8sName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a Kubernetes name (lower-case letters, digits and -)').max(253);

/**
 * Where the pipeline's components run, and so what repairs act on: processes this worker
 * supervises (`local`), or Deployments in a Kubernetes namespace. Credentials: a kubeconfig file,
 * else the pod's in-cluster ServiceAccount (`inCluster: true`), else the usual resolution
 * (KUBECONFIG, ~/.kube/config). The role those credentials need is the chart's
 * (deploy/helm/homeostat/templates/role.yaml).
 */
export const OrchestrationBindingSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('local') }),
  z.strictObject({
    kind: z.literal('kubernetes'),
    namespace: k8sName.describe('the namespace of the pipeline\'s workloads; repairs never act outside it'),
    kubeconfig: z.string().min(1).optional().describe('path of a kubeconfig file'),
    context: z.string().min(1).optional().describe('kubeconfig context; its current one when omitted'),
    inCluster: z.boolean().default(false).describe('use the pod\'s ServiceAccount token'),
    components: z
      .record(
        z.string(),
        z.strictObject({
          deployment: k8sName.optional().describe('the Deployment; the component\'s own name when omitted'),
          selector: z.string().min(1).optional().describe('label selector of its pods; the Deployment\'s own selector when omitted'),
        }),
      )
      .default({}),
  }),
]);

const BindingsSchema = z.strictObject({
  modelRegistry: ModelRegistryBindingSchema.default({ kind: 'embedded' }),
  orchestration: OrchestrationBindingSchema.default({ kind: 'local' }),
});

const PipelineSchema = z.strictObject({
  name,
  description: z.string().optional(),
  mode: mode.default('shadow').describe('shadow: the loop runs but only records what it would do; active: it repairs'),
  modeOverrides: z
    .partialRecord(faultClass, mode)
    .default({})
    .describe('pins a mode per fault class; a pinned class is never promoted or demoted'),
  components: z.array(ComponentSchema).min(1),
  edges: z.array(EdgeSchema).default([]),
  slo: SloSchema,
  repairs: z
    .partialRecord(faultClass, z.array(action).min(1))
    .default({})
    .describe('allowed repairs per fault class, in escalation order; escalate is always the last rung; a missing class allows only escalate and log-and-wait'),
  approval: ApprovalSchema,
  cooldown: CooldownSchema,
  rateLimit: RateLimitSchema,
  blastRadius: BlastRadiusSchema,
  freezeWindows: z.array(FreezeWindowSchema).default([]),
  loopDetection: LoopDetectionSchema,
  promotion: PromotionSchema,
  verification: VerificationSchema,
  bindings: BindingsSchema.optional().describe('which systems the repair templates act through (model registry)'),
});

export const PUBLIC_KEY_PATTERN = /^ed25519:[0-9a-f]{64}$/;

const ApproverSchema = z.strictObject({
  identity: z.string().min(1),
  roles: z.array(z.string().min(1)).min(1),
  /** Pipelines this identity may approve for; `*` means all. */
  pipelines: z.array(z.string().min(1)).default(['*']),
  publicKeys: z
    .array(z.string().regex(PUBLIC_KEY_PATTERN, 'expected ed25519:<64 hex digits> (npx homeostat keys create prints it)'))
    .default([])
    .describe('Ed25519 public keys whose signatures count as this identity; an identity without keys can decide nothing'),
});

const SourceTrustSchema = z
  .strictObject({
    openIncidents: z.boolean().default(true).describe('may open incidents that act (otherwise they run in shadow mode: recorded, nothing changes)'),
    faultHint: z.boolean().default(true).describe('may name the fault class (otherwise its hint is kept as evidence only)'),
    severity: z.boolean().default(true).describe('may set the severity (otherwise only the evidence decides it)'),
  })
  .prefault({});

const GlobalSchema = z
  .strictObject({
    /** Concurrent remediations across every pipeline. */
    maxConcurrentRemediations: z.number().int().positive().default(5),
    /** Fleet-wide minimum fraction of healthy components before automation stops. */
    minHealthyFraction: fraction.default(0.5),
    freezeWindows: z.array(FreezeWindowSchema).default([]),
    engine: EngineSchema,
  })
  .prefault({});

const PolicyFileObject = z.strictObject({
  version: z.literal(POLICY_FILE_VERSION).default(POLICY_FILE_VERSION),
  global: GlobalSchema,
  approvers: z.array(ApproverSchema).default([]),
  keysFile: z
    .string()
    .min(1)
    .optional()
    .describe('a YAML file of approvers (identity, publicKeys, roles, pipelines) merged into `approvers`, relative to this file; re-read whenever it changes'),
  sources: z
    .record(z.string().min(1), SourceTrustSchema)
    .default({})
    .describe('what each evidence source (sentinel, alertmanager, operator…) may decide; a source not listed may do everything'),
  pipelines: z.array(PipelineSchema).min(1),
});

export const PolicyFileSchema = PolicyFileObject.superRefine((file, ctx) => {
  for (const issue of checkPolicyReferences(file)) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
});

export interface ReferenceIssue {
  path: (string | number)[];
  message: string;
}

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const field = (v: unknown, key: string): unknown => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Cross-field rules a JSON Schema cannot say: unique names, edges between known components, an
 * acyclic DAG, approvers naming known pipelines. Reads the raw value defensively, so the loader
 * can report these together with shape errors in one pass.
 */
export function checkPolicyReferences(file: unknown): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  const pipelines = new Set<string>();
  asArray(field(file, 'pipelines')).forEach((p, pi) => {
    const pname = str(field(p, 'name'));
    if (pname !== undefined && pipelines.has(pname)) issues.push({ path: ['pipelines', pi, 'name'], message: `duplicate pipeline "${pname}"` });
    if (pname !== undefined) pipelines.add(pname);
    const components = new Set<string>();
    asArray(field(p, 'components')).forEach((c, ci) => {
      const cname = str(field(c, 'name'));
      if (cname === undefined) return;
      if (components.has(cname)) issues.push({ path: ['pipelines', pi, 'components', ci, 'name'], message: `duplicate component "${cname}"` });
      components.add(cname);
    });
    const edges: { from: string; to: string }[] = [];
    asArray(field(p, 'edges')).forEach((e, ei) => {
      const from = str(field(e, 'from'));
      const to = str(field(e, 'to'));
      for (const [end, value] of [['from', from], ['to', to]] as const) {
        if (value !== undefined && !components.has(value)) {
          issues.push({ path: ['pipelines', pi, 'edges', ei, end], message: `unknown component "${value}"` });
        }
      }
      if (from !== undefined && to !== undefined) edges.push({ from, to });
    });
    const cycle = findCycle(edges);
    if (cycle) issues.push({ path: ['pipelines', pi, 'edges'], message: `edges form a cycle: ${cycle.join(' → ')}` });
  });
  const identities = new Set<string>();
  asArray(field(file, 'approvers')).forEach((a, ai) => {
    const identity = str(field(a, 'identity'));
    if (identity !== undefined && identities.has(identity)) {
      issues.push({ path: ['approvers', ai, 'identity'], message: `duplicate approver "${identity}"` });
    }
    if (identity !== undefined) identities.add(identity);
    asArray(field(a, 'pipelines')).forEach((name, i) => {
      if (typeof name === 'string' && name !== '*' && !pipelines.has(name)) {
        issues.push({ path: ['approvers', ai, 'pipelines', i], message: `unknown pipeline "${name}"` });
      }
    });
  });
  return issues;
}

/** Depth-first search for a cycle; returns it as a path of names, or undefined. */
function findCycle(edges: readonly { from: string; to: string }[]): string[] | undefined {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'open') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'open');
    stack.push(n);
    for (const m of next.get(n) ?? []) {
      const found = visit(m);
      if (found) return found;
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of [...next.keys()].sort()) {
    const found = visit(n);
    if (found) return found;
  }
  return undefined;
}

export type PolicyConfig = z.output<typeof PolicyFileSchema>;
export type PolicyFileInput = z.input<typeof PolicyFileSchema>;
export type PipelinePolicy = PolicyConfig['pipelines'][number];
export type ComponentPolicy = PipelinePolicy['components'][number];
export type ApprovalRule = PipelinePolicy['approval']['rules'][number];
export type FreezeWindow = PipelinePolicy['freezeWindows'][number];
export type Approver = PolicyConfig['approvers'][number];
export type SourceTrust = z.output<typeof SourceTrustSchema>;
export type EngineSettings = PolicyConfig['global']['engine'];
export type { RepairAction };

/** The editor schema: describes what a human may write (inputs, before defaults). */
export function policyJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(PolicyFileSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
