/**
 * A laboratory for incident workflow tests: a real knowledge base (SQLite file), a real policy
 * (YAML parsed by the policy loader), real escalation webhook and health endpoint (HTTP on
 * loopback), and file-backed test templates whose applications can be counted.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { type AddressInfo } from 'node:net';
import type { Verdict } from '../../policies/taxonomy';
import type { IncidentDeps, ProbeRunner } from '../../activities/deps';
import { createActivities } from '../../activities';
import { KnowledgeActuatorLog } from '../../activities/templates/actuations';
import { escalateTemplate } from '../../activities/templates/escalate';
import { logAndWait } from '../../activities/templates/log-and-wait';
import type { RepairTemplate } from '../../activities/templates/template';
import { openKnowledgeBase } from '../../knowledge/open';
import type { KnowledgeBase } from '../../knowledge/types';
import { mergeKeys, type KeysFile } from '../../policies/keys';
import { parsePolicyOrThrow } from '../../policies/load';
import type { PolicyConfig } from '../../policies/schema';
import type { RepairAction } from '../../policies/taxonomy';
import { fileActuator, type FileActuatorDeps } from '../fixtures/templates/file-actuator';
import { labKeys } from './signing';

export interface Lab {
  dir: string;
  /** Where the lab's health endpoint (`/health/<pipeline>/<component>`) and webhook (`/escalations`) listen. */
  baseUrl: string;
  kb: KnowledgeBase;
  /** The policy in force; `setPolicy` replaces it for every later activity (the worker re-read the file). */
  readonly policy: PolicyConfig;
  setPolicy(yaml: string): void;
  /** The approvers' keys merged into the policy (default: one key per lab identity); replacing them is a key rotation or revocation. */
  setKeys(keys: KeysFile): void;
  deps: IncidentDeps<FileActuatorDeps>;
  activities: ReturnType<typeof createActivities>;
  /**
   * Verdicts the health endpoint gives, per component, consumed in order (last one repeats). A
   * key `<component>/<action>` scripts only the verification of that repair, which probes until
   * stable: `sink/scale-out: ['fail']` is a scale-out that never works, whatever later rungs see.
   */
  healthScript: Map<string, Verdict[]>;
  /**
   * Holds the next health probe of `component` until the test answers it: resolves `arrived`
   * once the probe asked, and answers it with the verdict given to `answer`.
   */
  holdProbe(component: string): { arrived: Promise<void>; answer(verdict: Verdict): void };
  escalations: unknown[];
  /** While false the escalation webhook answers 503 (a pager that is down); every request is counted. */
  escalationUp: boolean;
  escalationRequests: number;
  close(): Promise<void>;
}

export function labPolicy(pipeline: string, overrides = ''): string {
  return `
version: 1
approvers:
  - { identity: oncall-lead, roles: [oncall, lead], pipelines: ["*"] }
  - { identity: intern, roles: [viewer], pipelines: ["*"] }
pipelines:
  - name: ${pipeline}
    mode: active
    components:
      - { name: source, layer: infrastructure }
      - { name: enrich, layer: data }
      - { name: records, layer: data, sensitivity: [PHI] }
      - { name: sink, layer: data }
    edges:
      - { from: source, to: enrich }
      - { from: enrich, to: sink }
    slo: { latencyMs: 600000, maxLoss: 0.5 }
    repairs:
      lag: [scale-out, load-shedding, escalate]
      crash: [microreboot, escalate]
      hang: [microreboot, scale-out, escalate]
      null-spike: [quarantine, escalate]
      corrupted-checkpoint: [checkpoint-restore, escalate]
    approval:
      timeout: 1h
      approverRoles: [oncall]
      rules:
        - { name: sensitive-data, sensitivity: [PHI, PCI] }
        - { name: critical-severity, minSeverity: critical }
    cooldown: { default: 10m }
    rateLimit: { maxActions: 50, window: 1h }
    loopDetection: { maxRepeats: 3, window: 1h }
    # Until-stable verification at test speed: one pass verifies, a repair failing for 1 s has failed.
    verification: { settle: 1s, maxAttempts: 3, probeEvery: 100ms, passesInARow: { min: 1, max: 3 }, deadline: { min: 500ms, initial: 1s, max: 3s } }
${overrides}`;
}

export const TEST_ACTIONS: RepairAction[] = ['scale-out', 'load-shedding', 'microreboot', 'quarantine', 'checkpoint-restore'];

export async function createLab(opts: {
  pipeline: string;
  policyYaml?: string;
  slowMs?: Partial<Record<RepairAction, number>>;
  /** Components the (scripted) sentinel reports anomalous, for diagnosis's lineage walk. */
  anomalous?: string[];
  /** Templates that replace the lab's file actuators for some actions. */
  templates?: Partial<Record<RepairAction, RepairTemplate<FileActuatorDeps>>>;
  /** Shorter remediation leases (the default is the production 15 min). */
  leaseTtlMs?: number;
}): Promise<Lab> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-lab-'));
  const kb = openKnowledgeBase(path.join(dir, 'knowledge.db'));
  let policy = parsePolicyOrThrow(opts.policyYaml ?? labPolicy(opts.pipeline), 'lab policy');
  let keys = labKeys();
  const healthScript = new Map<string, Verdict[]>();
  const held = new Map<string, { arrived: () => void; answer: Promise<Verdict> }>();
  const escalations: unknown[] = [];

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/escalations') {
        lab.escalationRequests += 1;
        if (!lab.escalationUp) {
          res.writeHead(503).end();
          return;
        }
        escalations.push(JSON.parse(body));
        res.writeHead(204).end();
        return;
      }
      const m = /^\/health\/([^/]+)\/([^/?]+)(?:\?action=([^&]+))?$/.exec(req.url ?? '');
      if (!m) {
        res.writeHead(404).end();
        return;
      }
      const key = decodeURIComponent(m[2]!);
      const reply = (verdict: Verdict): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ verdict }));
      const hold = held.get(key);
      if (hold) {
        held.delete(key);
        hold.arrived();
        void hold.answer.then(reply);
        return;
      }
      const script = (m[3] ? healthScript.get(`${key}/${decodeURIComponent(m[3])}`) : undefined) ?? healthScript.get(key) ?? ['pass'];
      reply(script.length > 1 ? script.shift()! : script[0]!);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const deps = labDeps({
    dir,
    kb,
    policy: () => policy,
    keys: () => keys,
    baseUrl,
    ...(opts.slowMs ? { slowMs: opts.slowMs } : {}),
    ...(opts.anomalous ? { anomalous: opts.anomalous } : {}),
    ...(opts.templates ? { templates: opts.templates } : {}),
    ...(opts.leaseTtlMs ? { leaseTtlMs: opts.leaseTtlMs } : {}),
  });
  const lab: Lab = {
    dir,
    baseUrl,
    kb,
    get policy() {
      return policy;
    },
    setPolicy(yaml: string) {
      policy = parsePolicyOrThrow(yaml, 'lab policy');
    },
    setKeys(k: KeysFile) {
      keys = k;
    },
    deps,
    activities: createActivities(deps),
    healthScript,
    holdProbe(component: string) {
      let arrived!: () => void;
      let answer!: (v: Verdict) => void;
      const arrival = new Promise<void>((r) => (arrived = r));
      held.set(component, { arrived, answer: new Promise<Verdict>((r) => (answer = r)) });
      return { arrived: arrival, answer };
    },
    escalations,
    escalationUp: true,
    escalationRequests: 0,
    async close() {
      await kb.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return lab;
}

/**
 * The activities' dependencies on a lab directory: knowledge base, policy, file-backed templates
 * and probes answered by the lab's HTTP endpoint at `baseUrl`. A worker in another process
 * (test/fixtures/workers/lab-worker.ts) builds the same object on the same directory.
 */
export function labDeps(opts: {
  dir: string;
  kb: KnowledgeBase;
  policy: PolicyConfig | (() => PolicyConfig);
  baseUrl: string;
  slowMs?: Partial<Record<RepairAction, number>>;
  anomalous?: string[];
  templates?: Partial<Record<RepairAction, RepairTemplate<FileActuatorDeps>>>;
  leaseTtlMs?: number;
  faultHook?: IncidentDeps['faultHook'];
  /** The approvers' keys file merged into the policy at every load (default labKeys()). */
  keys?: () => KeysFile;
}): IncidentDeps<FileActuatorDeps> {
  const probes: ProbeRunner = async (name, req) => {
    const res = await fetch(`${opts.baseUrl}/health/${encodeURIComponent(req.pipeline)}/${encodeURIComponent(req.component)}?action=${encodeURIComponent(req.action)}`);
    const { verdict } = (await res.json()) as { verdict: Verdict };
    return { name, result: verdict, detail: `${name} via lab health endpoint` };
  };
  const templates: Partial<Record<RepairAction, RepairTemplate<FileActuatorDeps>>> = {
    'log-and-wait': logAndWait,
    escalate: escalateTemplate,
  };
  for (const a of TEST_ACTIONS) templates[a] = fileActuator(a, { slowMs: opts.slowMs?.[a] });
  Object.assign(templates, opts.templates ?? {});
  const policy = opts.policy;
  const base = typeof policy === 'function' ? policy : () => policy;
  const keys = opts.keys ?? (() => labKeys());
  return {
    policy: () => mergeKeys(base(), keys()),
    kb: opts.kb,
    templates,
    templateDeps: { actuatorDir: opts.dir, escalationWebhookUrl: `${opts.baseUrl}/escalations`, actuations: new KnowledgeActuatorLog(opts.kb) },
    probes,
    ...(opts.anomalous ? { anomalous: async () => [...opts.anomalous!] } : {}),
    ...(opts.leaseTtlMs ? { leaseTtlMs: opts.leaseTtlMs } : {}),
    ...(opts.faultHook ? { faultHook: opts.faultHook } : {}),
    settleMs: 200,
  };
}
