/**
 * Where the worker keeps audit anchors (knowledge/audit-anchor.ts): signals to a long-lived
 * workflow per chain and epoch, `homeostat-audit-anchor/<chain>/<epoch>`, on a task queue no
 * worker polls. No workflow code runs — the execution is a durable, append-only log that Temporal
 * keeps (open executions are not subject to retention) and that nobody with only the knowledge
 * base can touch. An epoch holds the anchors of 10 000 rows, which keeps each history far below
 * Temporal's event limits. With the payload codec configured, anchors are encrypted like
 * everything else (the signature is over the plaintext).
 *
 * The worker anchors at least every N rows (HOMEOSTAT_AUDIT_ANCHOR_EVERY, default 20) and at
 * every incident close: the knowledge base handed to activities is wrapped so that each audit
 * append (or transaction holding one) pokes the anchorer after it committed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { stateDir } from '../common/paths';
import { anchorBodyFor, signedAnchor, type AnchorSigner, type SignedAnchor } from '../knowledge/audit-anchor';
import type { AuditInput, AuditRow, KnowledgeBase } from '../knowledge/types';

export const ANCHOR_TASK_QUEUE = 'homeostat-audit-anchors';
export const ANCHOR_WORKFLOW_TYPE = 'homeostatAuditAnchor';
export const ANCHOR_SIGNAL = 'anchor';
export const EPOCH_ROWS = 10_000;
/** Rows one anchor may list; a longer unanchored stretch is anchored from its last rows. */
const MAX_ROWS_PER_ANCHOR = 1_000;

export const anchorWorkflowId = (chain: string, epoch: number): string => `homeostat-audit-anchor/${chain}/${epoch}`;

/** The anchor key file: HOMEOSTAT_AUDIT_ANCHOR_KEY_FILE, else `<state dir>/audit-anchor.key` when it exists. */
export function anchorKeyFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.HOMEOSTAT_AUDIT_ANCHOR_KEY_FILE) return env.HOMEOSTAT_AUDIT_ANCHOR_KEY_FILE;
  const local = path.join(stateDir(), 'audit-anchor.key');
  return fs.existsSync(local) ? local : undefined;
}

export const anchorChain = (env: NodeJS.ProcessEnv = process.env): string => env.HOMEOSTAT_AUDIT_CHAIN || 'default';

export class TemporalAnchorStore {
  constructor(private readonly client: Client, private readonly chain: string) {}

  async write(anchor: SignedAnchor): Promise<void> {
    await this.client.workflow.signalWithStart(ANCHOR_WORKFLOW_TYPE, {
      workflowId: anchorWorkflowId(this.chain, Math.floor(anchor.body.seq / EPOCH_ROWS)),
      taskQueue: ANCHOR_TASK_QUEUE,
      signal: ANCHOR_SIGNAL,
      signalArgs: [anchor],
      args: [],
    });
  }

  /** Every anchor of the chain, oldest first (epochs are contiguous: anchors come every N ≪ 10 000 rows). */
  async readAll(): Promise<SignedAnchor[]> {
    const out: SignedAnchor[] = [];
    const converter = this.client.options.loadedDataConverter;
    for (let epoch = 0; ; epoch++) {
      let events;
      try {
        events = (await this.client.workflow.getHandle(anchorWorkflowId(this.chain, epoch)).fetchHistory()).events ?? [];
      } catch (err) {
        // fetchHistory surfaces gRPC NOT_FOUND (code 5) as is, not as WorkflowNotFoundError.
        if (err instanceof WorkflowNotFoundError || (err as { code?: number }).code === 5) break;
        throw err;
      }
      for (const e of events) {
        const s = e.workflowExecutionSignaledEventAttributes;
        if (!s || s.signalName !== ANCHOR_SIGNAL) continue;
        const payloads = s.input?.payloads ?? [];
        // Codecs encode in order, so they decode in reverse.
        let decoded = payloads;
        for (const codec of [...converter.payloadCodecs].reverse()) decoded = await codec.decode(decoded);
        if (decoded.length === 0) continue;
        const parsed = signedAnchor.safeParse(converter.payloadConverter.fromPayload(decoded[0]!));
        if (parsed.success) out.push(parsed.data);
      }
    }
    return out;
  }

  /** The newest anchor, if any (the last epoch's last signal). */
  async latest(): Promise<SignedAnchor | undefined> {
    return (await this.readAll()).at(-1);
  }
}

export interface AnchorSink {
  latest(): Promise<SignedAnchor | undefined>;
  write(anchor: SignedAnchor): Promise<void>;
}

export class AuditAnchorer {
  private sink: AnchorSink | undefined;
  private lastAnchored: number | undefined;
  private chainTail: Promise<void> = Promise.resolve();
  anchorsWritten = 0;
  lastError: string | undefined;

  constructor(
    private readonly kb: KnowledgeBase,
    private readonly signer: AnchorSigner,
    private readonly chain: string,
    private readonly every = 20,
    private readonly warn: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  ) {}

  /** The store, once the worker's Temporal client exists. */
  attach(sink: AnchorSink): void {
    this.sink = sink;
  }

  /** After audit rows committed (`closing`: one of them closes an incident). Serialised; never throws. */
  poke(closing: boolean): Promise<void> {
    this.chainTail = this.chainTail.then(() => this.maybeAnchor(closing)).catch((err: unknown) => {
      // An anchor that could not be written is retried at the next poke; the rows stay covered
      // because the next anchor starts after the last one written.
      this.lastError = (err as Error).message;
      this.warn(`[homeostat] audit anchor not written (retried with the next row): ${this.lastError}`);
    });
    return this.chainTail;
  }

  /** Anchors whatever is unanchored now (shutdown, tests). */
  flush(): Promise<void> {
    return this.poke(true);
  }

  private async maybeAnchor(closing: boolean): Promise<void> {
    if (!this.sink) return;
    if (this.lastAnchored === undefined) this.lastAnchored = (await this.sink.latest())?.body.seq ?? 0;
    const head = (await this.kb.listAudit({ limit: 1 }))[0];
    if (!head || head.seq <= this.lastAnchored) return;
    if (!closing && head.seq - this.lastAnchored < this.every) return;
    const rows: AuditRow[] = await this.kb.listAudit({ limit: Math.min(head.seq - this.lastAnchored, MAX_ROWS_PER_ANCHOR) });
    const body = anchorBodyFor(this.chain, rows, closing ? 'incident.closed' : 'rows', this.signer.keyId);
    if (!body) return;
    await this.sink.write(this.signer.sign(body));
    this.lastAnchored = body.seq;
    this.anchorsWritten++;
  }
}

/**
 * `kb` whose audit appends poke `anchorer` once committed: directly, or when the transaction
 * holding them commits (a rolled-back row must never be anchored).
 */
export function anchoringKnowledgeBase(kb: KnowledgeBase, anchorer: AuditAnchorer): KnowledgeBase {
  return new Proxy(kb, {
    get(target, prop, receiver) {
      if (prop === 'appendAudit') {
        return async (input: AuditInput) => {
          const row = await target.appendAudit(input);
          void anchorer.poke(input.action === 'incident.closed');
          return row;
        };
      }
      if (prop === 'transaction') {
        return async <T>(fn: (tx: KnowledgeBase) => Promise<T>): Promise<T> => {
          let appended = false;
          let closing = false;
          const result = await target.transaction((tx) =>
            fn(
              new Proxy(tx, {
                get(t, p, r) {
                  if (p !== 'appendAudit') {
                    const v = Reflect.get(t, p, r) as unknown;
                    return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
                  }
                  return async (input: AuditInput) => {
                    appended = true;
                    closing ||= input.action === 'incident.closed';
                    return t.appendAudit(input);
                  };
                },
              }),
            ),
          );
          if (appended) void anchorer.poke(closing);
          return result;
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
