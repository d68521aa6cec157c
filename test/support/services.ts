/**
 * What tests use to reach the suite's real servers (started once by global-setup). Each getter
 * fails loudly when the suite was started without global setup, instead of letting a test hang
 * on a default address.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { TEST_ENV } from '../../infra/test-harness';
import { testServerWrapperPath } from '../../infra/test-server';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run the tests through jest with test/support/global-setup.ts (jest.config.js does), which starts the servers.`,
    );
  }
  return value;
}

/** host:port of the suite's Temporal dev server (namespace `default`, search attributes registered). */
export function testTemporalAddress(): string {
  return required(TEST_ENV.temporalAddress);
}

/** Bootstrap brokers of the suite's Kafka (auto-created topics, one partition unless created otherwise). */
export function testKafkaBrokers(): string[] {
  return required(TEST_ENV.kafkaBrokers).split(',');
}

/** The time-skipping server's wrapper, provisioned by global setup. */
export function testServerPath(): string {
  return process.env[TEST_ENV.testServerPath] ?? testServerWrapperPath();
}

/**
 * A fresh time-skipping test server for this test file (timers complete instantly while the
 * client waits on a result). Call `teardown()` in afterAll.
 */
export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath() } },
  });
}

/**
 * An environment on the suite's shared dev server: real time, real persistence, search
 * attributes and visibility. Use a unique task queue and workflow ids per test.
 * `teardown()` only closes the connections; the server belongs to the suite.
 */
export function createLocalEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createFromExistingServer({ address: testTemporalAddress(), namespace: 'default' });
}

/** A task queue or id no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
