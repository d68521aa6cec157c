import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../workers/worker';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_TYPES } from '../../workflows/shared';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnv } from '../support/services';
import type { IncidentInput, IncidentState } from '../../workflows/shared';
import { stateQuery } from '../../workflows/shared';

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

let bundlePromise: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundling takes seconds: do it once per test file. */
export function incidentBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundlePromise ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  return bundlePromise;
}

const noop = (): void => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

export async function connectDevServer(address: string): Promise<{ client: Client; native: NativeConnection; close(): Promise<void> }> {
  const connection = await Connection.connect({ address });
  const native = await NativeConnection.connect({ address });
  return {
    client: new Client({ connection }),
    native,
    async close() {
      await connection.close();
      await native.close();
    },
  };
}

export function manualInput(pipeline: string, component: string, extra: Partial<IncidentInput> = {}): IncidentInput {
  const at = new Date().toISOString();
  return {
    pipeline,
    component,
    trigger: { kind: 'manual', detail: 'opened by an operator', at },
    evidence: [{ at, source: 'operator', summary: 'operator-opened incident' }],
    faultClass: 'lag',
    severity: 'medium',
    ...extra,
  };
}

/** Polls the state query until `predicate` holds (the workflow's own clock drives it, not ours). */
export async function waitForState(
  handle: WorkflowHandle,
  predicate: (s: IncidentState) => boolean,
  attempts = 200,
): Promise<IncidentState> {
  let last: IncidentState | undefined;
  for (let i = 0; i < attempts; i++) {
    try {
      last = await handle.query(stateQuery);
      if (predicate(last)) return last;
    } catch {
      // The first workflow task may not have run yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`workflow ${handle.workflowId} never reached the expected state; last: ${JSON.stringify(last)}`);
}

/** A real HTTP endpoint that records every JSON body POSTed to it (the escalation webhook). */
export async function startWebhookSink(): Promise<{ url: string; bodies: unknown[]; close(): Promise<void> }> {
  const bodies: unknown[] = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString('utf8')));
    req.on('end', () => {
      bodies.push(JSON.parse(data));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/escalations`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A time-skipping server with Homeostat's search attributes registered (the workflow upserts them). */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await createTimeSkippingEnv();
  // The test server has no ListSearchAttributes, so the idempotent registration used against dev
  // servers does not apply: a fresh test server has none, add them all.
  const { IndexedValueType } = temporal.api.enums.v1;
  const searchAttributes = Object.fromEntries(
    Object.entries(SEARCH_ATTRIBUTE_TYPES).map(([name, type]) => [
      name,
      type === 'Bool' ? IndexedValueType.INDEXED_VALUE_TYPE_BOOL : IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    ]),
  );
  await env.connection.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes });
  return env;
}
