/**
 * Every error crossing the activity boundary carries a stable type from the error catalogue:
 * HomeostatError codes become ApplicationFailure types (which the workflows' retry policies
 * match against NON_RETRYABLE_ERROR_CODES), anything else becomes HS_INTERNAL, and a compensated
 * repair is final whatever its code.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import type { ExecuteInput } from '../../activities/contracts';
import { toActivityFailure } from '../../activities/failures';
import { RepairFailedError } from '../../activities/templates/compensation';
import { ERROR_CODES, HomeostatError, NON_RETRYABLE_ERROR_CODES } from '../../common/errors';
import { openKnowledgeBase } from '../../knowledge/open';
import { parsePolicyOrThrow } from '../../policies/load';
import { labDeps, labPolicy } from '../workflows/lab';

test('the catalogue names every non-retryable code, including HS_PRECONDITION_FAILED', () => {
  expect(NON_RETRYABLE_ERROR_CODES.filter((c) => !(c in ERROR_CODES))).toEqual([]);
  expect(NON_RETRYABLE_ERROR_CODES).toEqual(expect.arrayContaining(['HS_INVALID_INPUT', 'HS_REFUSED', 'HS_PRECONDITION_FAILED', 'HS_NOT_FOUND', 'HS_UNAUTHORISED']));
  // What a retry can cure stays retryable.
  expect(NON_RETRYABLE_ERROR_CODES).not.toContain('HS_SERVICE_UNAVAILABLE');
  expect(NON_RETRYABLE_ERROR_CODES).not.toContain('HS_INTERNAL');
});

test('a HomeostatError crosses as an ApplicationFailure typed with its code; retryability is the retry policy’s', () => {
  const f = toActivityFailure(new HomeostatError('HS_INVALID_INPUT', 'repair parameters for sink: by: must be at least 1', { field: 'by' }));
  expect(f).toBeInstanceOf(ApplicationFailure);
  expect(f).toMatchObject({ type: 'HS_INVALID_INPUT', message: 'repair parameters for sink: by: must be at least 1', details: [{ field: 'by' }] });
  expect((f as ApplicationFailure).nonRetryable).toBeFalsy();
});

test('anything else becomes HS_INTERNAL; Temporal’s own failures pass through', () => {
  expect(toActivityFailure(new TypeError('x is undefined'))).toMatchObject({ type: 'HS_INTERNAL', message: 'x is undefined' });
  expect(toActivityFailure('a thrown string')).toMatchObject({ type: 'HS_INTERNAL', message: 'a thrown string' });
  expect(toActivityFailure(ApplicationFailure.nonRetryable('legacy', 'SomeOtherType'))).toMatchObject({ type: 'HS_INTERNAL', nonRetryable: true });
  const typed = ApplicationFailure.create({ message: 'typed', type: 'HS_REFUSED' });
  expect(toActivityFailure(typed)).toBe(typed);
  const cancelled = new CancelledFailure('cancelled');
  expect(toActivityFailure(cancelled)).toBe(cancelled);
});

test('a compensated repair is final: non-retryable, keeping the code of the failure that stopped it', () => {
  const failure = new RepairFailedError(new HomeostatError('HS_SERVICE_UNAVAILABLE', 'timed out'), { undone: ['scale'], failed: [] });
  expect(toActivityFailure(failure)).toMatchObject({ type: 'HS_SERVICE_UNAVAILABLE', nonRetryable: true, message: 'timed out; compensated in reverse order: undid scale' });
});

test('the activities the worker registers throw typed failures', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-errors-'));
  const kb = openKnowledgeBase(path.join(dir, 'knowledge.db'));
  try {
    const deps = labDeps({ dir, kb, policy: parsePolicyOrThrow(labPolicy('errors'), 'lab'), baseUrl: 'http://127.0.0.1:9' });
    const activities = createActivities({ ...deps, templates: {} });
    const input: ExecuteInput = { incidentId: 'incident/errors/sink', runId: 'r', pipeline: 'errors', target: 'sink', faultClass: 'lag', action: 'scale-out', attempt: 1, mode: 'active' };
    const run = new MockActivityEnvironment().run(activities.execute, input);
    await expect(run).rejects.toMatchObject({ type: 'HS_INVALID_INPUT', message: 'no repair template for scale-out on this worker' });
    await expect(new MockActivityEnvironment().run(activities.plan, { incidentId: 'i', pipeline: 'nope', component: 'c', diagnosis: undefined as never, exclude: [], attempt: 1 })).rejects.toMatchObject({
      type: 'HS_INTERNAL',
    });
  } finally {
    await kb.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
