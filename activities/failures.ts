/**
 * Errors crossing the activity boundary get a stable type from the error catalogue
 * (common/errors.ts): a HomeostatError's code becomes the ApplicationFailure's `type`, which the
 * workflows' retry policies match against `NON_RETRYABLE_ERROR_CODES`. Anything else thrown by
 * an activity (a library's error, a bug) becomes HS_INTERNAL, which is retried: a dependency's
 * hiccup may pass. Temporal's own failures (cancellation…) pass through unchanged.
 */
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { ERROR_CODES, isHomeostatError, type ErrorCode } from '../common/errors';

const isErrorCode = (type: string | null | undefined): type is ErrorCode => typeof type === 'string' && Object.hasOwn(ERROR_CODES, type);

/** A HomeostatError may declare itself final (a compensated repair): then no retry, whatever its code. */
const isFinal = (err: unknown): boolean => (err as { retryable?: unknown }).retryable === false;

export function toActivityFailure(err: unknown): Error {
  if (err instanceof ApplicationFailure) {
    if (isErrorCode(err.type)) return err;
    return ApplicationFailure.create({ message: err.message, type: 'HS_INTERNAL', nonRetryable: err.nonRetryable ?? false, details: err.details ?? [], cause: err });
  }
  if (err instanceof TemporalFailure) return err;
  if (isHomeostatError(err)) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.code,
      // Retryability by code is the retry policy's (nonRetryableErrorTypes); only a final failure says so itself.
      ...(isFinal(err) ? { nonRetryable: true } : {}),
      details: err.details ? [err.details] : [],
      cause: err,
    });
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return ApplicationFailure.create({ message: e.message, type: 'HS_INTERNAL', cause: e });
}

type AsyncFunction = (...args: never[]) => Promise<unknown>;

/** The same activities, each throwing only catalogue-typed failures. */
export function withErrorTypes<T extends { [K in keyof T]: AsyncFunction }>(activities: T): T {
  const out: Record<string, AsyncFunction> = {};
  for (const [name, fn] of Object.entries(activities) as [string, AsyncFunction][]) {
    out[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw toActivityFailure(err);
      }
    };
  }
  return out as T;
}
