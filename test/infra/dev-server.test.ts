import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { startDevServer } from '../../infra/dev-server';
import { registerSearchAttributes } from '../../infra/search-attributes';
import { SEARCH_ATTRIBUTE_TYPES } from '../../workflows/shared';
import { testTemporalAddress } from '../support/services';
import { isProcessAlive } from '../../infra/process';


async function customAttributes(address: string): Promise<string[]> {
  const connection = await Connection.connect({ address });
  try {
    const response = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    return Object.keys(response.customAttributes ?? {}).sort();
  } finally {
    await connection.close();
  }
}

const EXPECTED = Object.keys(SEARCH_ATTRIBUTE_TYPES).sort();

describe('Temporal dev server', () => {
  it('the suite server carries every Homeostat search attribute, and registering again adds nothing', async () => {
    const address = testTemporalAddress();
    expect(await customAttributes(address)).toEqual(expect.arrayContaining(EXPECTED));
    const connection = await Connection.connect({ address });
    try {
      expect(await registerSearchAttributes(connection, 'default')).toEqual([]);
    } finally {
      await connection.close();
    }
  });

  it('persists to a SQLite file across restarts and leaves no process behind', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-devserver-'));
    const dbFile = path.join(dir, 'temporal.db');
    try {
      const first = await startDevServer({ dbFile });
      let workflowId: string;
      try {
        const connection = await Connection.connect({ address: first.address });
        try {
          workflowId = `persist-${Date.now()}`;
          // No worker: the execution just stays open, which is all persistence needs to show.
          await connection.workflowService.startWorkflowExecution({
            namespace: 'default',
            workflowId,
            requestId: workflowId,
            workflowType: { name: 'nobodyRunsThis' },
            taskQueue: { name: 'nobody-polls-this' },
          });
        } finally {
          await connection.close();
        }
      } finally {
        await first.stop();
      }
      expect(isProcessAlive(first.pid)).toBe(false);
      expect(fs.existsSync(dbFile)).toBe(true);

      const second = await startDevServer({ dbFile });
      try {
        expect(await customAttributes(second.address)).toEqual(expect.arrayContaining(EXPECTED));
        const connection = await Connection.connect({ address: second.address });
        try {
          const described = await connection.workflowService.describeWorkflowExecution({
            namespace: 'default',
            execution: { workflowId },
          });
          expect(described.workflowExecutionInfo?.type?.name).toBe('nobodyRunsThis');
        } finally {
          await connection.close();
        }
      } finally {
        await second.stop();
      }
      expect(isProcessAlive(second.pid)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
