/**
 * What a failed send of an incident action means for the next attempt. Transient failures
 * (Temporal unavailable or overloaded, a deadline, a dropped connection) are retried for as long
 * as they last; errors of unknown kind a bounded number of times; permanent ones — a request
 * Temporal refuses as such (bad argument, unknown namespace, no permission) or a payload that
 * cannot be encoded — are dead-lettered with their reason at once, since sending them again
 * would fail again and hold up the component's later actions.
 */
import { isHomeostatError } from '../common/errors';

export type SendErrorClass = 'transient' | 'uncertain' | 'permanent';

/** A send the dispatcher gave up waiting for: it may still have arrived. */
export class SendTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'SendTimeoutError';
  }
}

// gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html).
const TRANSIENT_GRPC = new Set([1, 4, 8, 10, 14]); // CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, UNAVAILABLE
const UNCERTAIN_GRPC = new Set([2, 13, 15]); // UNKNOWN, INTERNAL, DATA_LOSS
const GRPC_NAMES: Record<number, string> = {
  1: 'CANCELLED', 2: 'UNKNOWN', 3: 'INVALID_ARGUMENT', 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND', 6: 'ALREADY_EXISTS', 7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED', 9: 'FAILED_PRECONDITION', 10: 'ABORTED', 11: 'OUT_OF_RANGE', 12: 'UNIMPLEMENTED', 13: 'INTERNAL', 14: 'UNAVAILABLE',
  15: 'DATA_LOSS', 16: 'UNAUTHENTICATED',
};
const TRANSIENT_NET = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** The gRPC status of an error or of its cause (the Temporal client wraps them in ServiceError). */
function grpcCode(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number' && code >= 0 && code <= 16) return code;
  }
  return undefined;
}

function message(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const m = e instanceof Error ? e.message : String(e);
    if (m && !parts.includes(m)) parts.push(m);
    if (typeof e !== 'object') break;
  }
  return parts.join(': ') || 'unknown error';
}

export function classifySendError(err: unknown): { class: SendErrorClass; reason: string } {
  const reason = message(err);
  if (err instanceof SendTimeoutError) return { class: 'transient', reason };
  if (isHomeostatError(err)) return { class: err.code === 'HS_SERVICE_UNAVAILABLE' ? 'transient' : 'permanent', reason: `${err.code}: ${reason}` };
  const code = grpcCode(err);
  if (code !== undefined) {
    const named = `${GRPC_NAMES[code] ?? `gRPC ${code}`}: ${reason}`;
    if (TRANSIENT_GRPC.has(code)) return { class: 'transient', reason: named };
    if (UNCERTAIN_GRPC.has(code)) return { class: 'uncertain', reason: named };
    return { class: 'permanent', reason: named };
  }
  const sys = (err as { code?: unknown } | null)?.code;
  if (typeof sys === 'string' && TRANSIENT_NET.has(sys)) return { class: 'transient', reason: `${sys}: ${reason}` };
  // A payload the data converter cannot encode, or a programming error: sending again changes nothing.
  if (err instanceof TypeError || err instanceof RangeError || (err instanceof Error && /convert|serializ|encod/i.test(err.name + err.message))) {
    return { class: 'permanent', reason };
  }
  return { class: 'uncertain', reason };
}
