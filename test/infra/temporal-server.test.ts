/**
 * The real Temporal server (infra/temporal-server.ts): built from the Go module proxy, its
 * persistence and visibility on PostgreSQL set up by temporal-sql-tool, the Web UI server pointed
 * at it, Homeostat's search attributes registered; stopping it stops every process it started.
 */
import { Connection } from '@temporalio/client';
import { startTemporalServer, type TemporalServerHandle } from '../../infra/temporal-server';
import { SEARCH_ATTRIBUTE_TYPES } from '../../workflows/shared';

let server: TemporalServerHandle | undefined;
afterAll(async () => {
  await server?.stop();
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('runs on PostgreSQL with the Web UI, the namespace and the search attributes; stop ends it', async () => {
  server = await startTemporalServer({ ui: true });
  const connection = await Connection.connect({ address: server.address });
  try {
    const info = await connection.workflowService.getClusterInfo({});
    expect(info.persistenceStore).toBe('postgres12');
    expect(info.visibilityStore).toBe('postgres12');
    expect(info.serverVersion).toBe('1.29.1');
    const attributes = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(Object.keys(attributes.customAttributes ?? {}).sort()).toEqual(Object.keys(SEARCH_ATTRIBUTE_TYPES).sort());
  } finally {
    await connection.close();
  }
  // The UI server serves the app and reaches the server through its API.
  const page = await fetch(server.uiUrl!);
  expect(page.status).toBe(200);
  expect(await page.text()).toMatch(/<html/i);
  const ns = await fetch(`${server.uiUrl}/api/v1/namespaces/default`);
  expect(ns.status).toBe(200);
  expect(JSON.stringify(await ns.json())).toContain('"name":"default"');

  const pids = [server.pid, server.postgres.pid!];
  await server.stop();
  server = undefined;
  expect(pids.filter(alive)).toEqual([]);
}, 300_000);
