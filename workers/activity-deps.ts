/**
 * Builds the incident activities' dependencies for a worker process: the policy file, the
 * knowledge base, and — when a live pipeline is attached — its repair templates and probes.
 * Without a pipeline the worker can still log, wait and escalate.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HealthFractions, IncidentDeps, ProbeRunner } from '../activities/deps';
import { announceRepairTo, anomalousComponents, healthRecovered, runProbe } from '../activities/probes';
import { sentinelTrailReader } from '../activities/sentinel-trail';
import type { EscalateDeps } from '../activities/templates/escalate';
import { escalateTemplate } from '../activities/templates/escalate';
import { TEMPLATES, type TemplateDeps } from '../activities/templates/index';
import { logAndWait } from '../activities/templates/log-and-wait';
import type { RepairTemplate } from '../activities/templates/template';
import { REPO_ROOT } from '../common/paths';
import { defaultKnowledgeDbPath, openKnowledgeBaseAt } from '../knowledge/open';
import { recordPolicy } from '../knowledge/policy-record';
import type { KnowledgeBase } from '../knowledge/types';
import { policyKeysFile, withKeysFile } from '../policies/keys';
import { loadPolicyFile } from '../policies/load';
import type { RepairAction } from '../policies/taxonomy';
import { KnowledgeActuatorLog } from '../activities/templates/actuations';
import { AlertmanagerClient } from '../bindings/alertmanager';
import { bearerFetch, clientTokenFromEnv } from '../common/bearer-auth';
import { AnchorSigner } from '../knowledge/audit-anchor';
import { anchorChain, anchorKeyFile, AuditAnchorer, anchoringKnowledgeBase } from './audit-anchor';
import { modelRegistryFor } from '../bindings/model-registry';
import { clusterHealth } from '../bindings/orchestration/cluster-health';
import { kubernetesOrchestratorFor, orchestratorFor } from '../bindings/orchestration/from-policy';
import type { PolicyConfig } from '../policies/schema';

export const DEFAULT_POLICY_FILE = path.join(REPO_ROOT, 'policies', 'examples', 'demo.yaml');

/** Pipeline bindings are optional: a worker without a pipeline only logs, waits and escalates. */
type WorkerTemplateDeps = Partial<TemplateDeps> & EscalateDeps;

export interface WorkerDepsOptions {
  policyFile?: string;
  /**
   * Approvers' public keys beyond the policy's own: the keys file the policy names wins, then
   * this one (the local stack's, where `keys create` registers), then HOMEOSTAT_KEYS_FILE.
   */
  keysFile?: string;
  kbPath?: string;
  /** Builds the live pipeline's bindings, given the actuator log to use. */
  pipeline?: (actuations: KnowledgeActuatorLog) => TemplateDeps;
  /** Sentinel health API base, for the `health-recovered` probe and the outcome trail. */
  healthUrl?: string;
  /** The same, when it is only known after the worker's dependencies are built. */
  healthUrlFor?: () => string | undefined;
  /** Bearer token of the sentinel's HTTP API (else HOMEOSTAT_HEALTH_TOKEN / HOMEOSTAT_HEALTH_TOKEN_FILE). */
  healthToken?: string;
  settleMs?: number;
  /** A drill's worker: the engine may explore (IncidentDeps.drill). */
  drill?: boolean;
  escalationWebhookUrl?: string;
  /** Alertmanager for silences and alert evidence (else HOMEOSTAT_ALERTMANAGER_URL, else none). */
  alertmanagerFor?: () => AlertmanagerClient | undefined;
  /**
   * Ed25519 key that signs audit anchors (default HOMEOSTAT_AUDIT_ANCHOR_KEY_FILE, else
   * <state dir>/audit-anchor.key when it exists); none: no anchors.
   */
  anchorKeyFile?: string;
  /** The blast-radius rule's health fractions; default: from the cluster for Kubernetes pipelines, else none. */
  health?: HealthFractions;
}

export interface WorkerDeps extends IncidentDeps<WorkerTemplateDeps> {
  /** Anchors the audit chain in Temporal once `attach`ed to a store (workers/audit-anchor.ts). */
  anchors?: AuditAnchorer;
  close(): Promise<void>;
}

/** The probes that read `since`; the others need no knowledge-base read. */
const SINCE_PROBES: ReadonlySet<string> = new Set(['data-checks-pass', 'model-accuracy-restored']);

/**
 * When this incident's latest repair finished, as the probes' `since`: data and model checks
 * must judge what flowed after the repair, not a profile or labels from before it.
 */
async function repairEndedAt(kb: KnowledgeBase, incidentId: string): Promise<{ since?: number }> {
  const done = (await kb.listActuations({ incidentId })).map((a) => a.completedAt ?? 0);
  const last = Math.max(0, ...done);
  return last > 0 ? { since: last } : {};
}

export async function buildWorkerDeps(o: WorkerDepsOptions = {}): Promise<WorkerDeps> {
  const policyFile = o.policyFile ?? process.env.HOMEOSTAT_POLICY ?? DEFAULT_POLICY_FILE;
  const policy = loadPolicyFile(policyFile);
  const opened = await openKnowledgeBaseAt(o.kbPath ?? defaultKnowledgeDbPath());
  const keyFile = o.anchorKeyFile ?? anchorKeyFile();
  const every = Number(process.env.HOMEOSTAT_AUDIT_ANCHOR_EVERY ?? 20);
  const anchors = keyFile ? new AuditAnchorer(opened, AnchorSigner.fromFile(keyFile), anchorChain(), Number.isInteger(every) && every > 0 ? every : 20) : undefined;
  // Every audit row the activities write pokes the anchorer once committed.
  const kb = anchors ? anchoringKnowledgeBase(opened, anchors) : opened;
  const stored = await recordPolicy(kb, fs.readFileSync(policyFile, 'utf8'), policyFile, policy);
  const actuations = new KnowledgeActuatorLog(kb);
  const escalationWebhookUrl = o.escalationWebhookUrl ?? process.env.HOMEOSTAT_ESCALATION_WEBHOOK;
  const healthUrl = (): string | undefined => o.healthUrl ?? o.healthUrlFor?.() ?? process.env.HOMEOSTAT_HEALTH_URL;
  const healthFetch = bearerFetch(o.healthToken ?? clientTokenFromEnv());
  const hasHealthUrl = o.healthUrl !== undefined || o.healthUrlFor !== undefined || process.env.HOMEOSTAT_HEALTH_URL !== undefined;

  const pipelineDeps = withPolicyBindings(o.pipeline?.(actuations), policy, kb);
  const health = o.health ?? kubernetesHealth(policy, kb);
  const templates: Partial<Record<RepairAction, RepairTemplate<WorkerTemplateDeps>>> = {
    'log-and-wait': logAndWait,
    escalate: escalateTemplate,
    ...(pipelineDeps ? TEMPLATES : {}),
  };
  const probes: ProbeRunner = async (name, req) => {
    const url = healthUrl();
    const healthUrlOption = url ? { healthUrl: `${url}/health/${encodeURIComponent(req.pipeline)}`, healthFetch } : {};
    if (!pipelineDeps) {
      if (name === 'health-recovered' && healthUrlOption.healthUrl) return healthRecovered(healthUrlOption.healthUrl, req.component, undefined, healthFetch);
      return { name, result: 'inconclusive', detail: `${name}: no live pipeline attached to this worker` };
    }
    const since = SINCE_PROBES.has(name) ? await repairEndedAt(kb, req.incidentId) : {};
    return runProbe(name, req.component, pipelineDeps, { ...healthUrlOption, ...since });
  };
  const keysFile = policyKeysFile(policy, policyFile) ?? o.keysFile ?? process.env.HOMEOSTAT_KEYS_FILE;
  return {
    policy: withKeysFile(() => policy, () => keysFile),
    policyVersion: stored.version,
    kb,
    ...(anchors ? { anchors } : {}),
    templates,
    templateDeps: { ...pipelineDeps, ...(escalationWebhookUrl ? { escalationWebhookUrl } : {}) },
    probes,
    async anomalous(pipeline) {
      const url = healthUrl();
      return url ? anomalousComponents(`${url}/health/${encodeURIComponent(pipeline)}`, healthFetch) : [];
    },
    async announceRepair(req) {
      const url = healthUrl();
      if (url) await announceRepairTo(url, req, healthFetch);
    },
    // The sentinel's per-second trail measures each repair's SLO cost for learn. Set whenever a
    // sentinel URL may be configured (healthUrlFor only knows it later); a call without one throws,
    // which learn records as unmeasured.
    ...(hasHealthUrl ? { outcomeTelemetry: sentinelTrailReader(healthUrl, healthFetch) } : {}),
    ...(o.settleMs !== undefined ? { settleMs: o.settleMs } : {}),
    ...(o.drill ? { drill: true } : {}),
    alertmanager: o.alertmanagerFor ?? alertmanagerFromEnv(),
    ...(health ? { health } : {}),
    async close() {
      await kb.close();
    },
  };
}

/**
 * The blast-radius rule's health fractions from the cluster (ready over desired replicas) when
 * any pipeline of the policy runs on Kubernetes; undefined otherwise (the rule assumes healthy).
 */
function kubernetesHealth(policy: PolicyConfig, kb: KnowledgeBase): HealthFractions | undefined {
  const pipelines = policy.pipelines.flatMap((p) => {
    const binding = p.bindings?.orchestration;
    if (binding?.kind !== 'kubernetes') return [];
    return [{ name: p.name, components: p.components.map((c) => c.name), orchestrator: kubernetesOrchestratorFor(binding, kb) }];
  });
  return pipelines.length > 0 ? clusterHealth(pipelines) : undefined;
}

function alertmanagerFromEnv(): () => AlertmanagerClient | undefined {
  const url = process.env.HOMEOSTAT_ALERTMANAGER_URL;
  const client = url ? new AlertmanagerClient(url.replace(/\/+$/, '')) : undefined;
  return () => client;
}

/**
 * The bindings the policy names for the pipeline replace the pipeline's own: its model registry
 * (`bindings.modelRegistry`) and where its components run (`bindings.orchestration`).
 */
function withPolicyBindings(deps: TemplateDeps | undefined, policy: PolicyConfig, kb: KnowledgeBase): TemplateDeps | undefined {
  const bindings = deps ? policy.pipelines.find((p) => p.name === deps.pipeline.name)?.bindings : undefined;
  if (!deps || !bindings) return deps;
  return {
    ...deps,
    models: modelRegistryFor(bindings.modelRegistry, deps.models, 'homeostat-worker'),
    orchestrator: orchestratorFor(bindings.orchestration, deps.orchestrator, kb),
  };
}
