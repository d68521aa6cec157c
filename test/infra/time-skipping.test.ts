import { Worker } from '@temporalio/worker';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnv, uniqueName } from '../support/services';
import type { sleeper } from '../fixtures/infra/workflows';

const HOUR = 60 * 60 * 1000;

describe('time-skipping test server (Maven Central, behind the exec wrapper)', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });

  afterAll(async () => {
    await env?.teardown();
  });

  it('starts within the SDK start-up limit and supports time skipping', () => {
    expect(env.supportsTimeSkipping).toBe(true);
  });

  it('completes a one-hour durable timer by skipping time', async () => {
    const taskQueue = uniqueName('infra-sleeper');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../fixtures/infra/workflows'),
    });
    const result = await worker.runUntil(
      env.client.workflow.execute<typeof sleeper>('sleeper', {
        args: [HOUR],
        taskQueue,
        workflowId: uniqueName('sleeper'),
      }),
    );
    // Workflow time, not wall time: the server skipped the hour.
    expect(result.sleptMs).toBeGreaterThanOrEqual(HOUR);
  });
});
