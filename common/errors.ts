/**
 * One catalogue of Homeostat's errors. Every error has a stable code: it becomes the `type`
 * of an ApplicationFailure inside Temporal and decides the CLI's message and exit code.
 */
export const ERROR_CODES = {
  HS_INVALID_INPUT: { exitCode: 2, summary: 'input failed validation' },
  HS_TOOLCHAIN_MISSING: { exitCode: 3, summary: 'a toolchain needed for provisioning is missing' },
  HS_PROVISION_FAILED: { exitCode: 3, summary: 'a local service could not be provisioned' },
  HS_SERVICE_UNAVAILABLE: { exitCode: 4, summary: 'a service could not be reached or did not start' },
  HS_NOT_FOUND: { exitCode: 5, summary: 'the named object does not exist' },
  HS_UNAUTHORISED: { exitCode: 6, summary: 'the identity is not authorised for this action' },
  HS_REFUSED: { exitCode: 7, summary: 'the request was refused by a rule' },
  HS_PRECONDITION_FAILED: { exitCode: 7, summary: 'a repair precondition does not hold' },
  HS_SNAPSHOT_MISMATCH: { exitCode: 2, summary: 'a snapshot belongs to another type or version' },
  HS_INTEGRITY: { exitCode: 8, summary: 'an integrity check failed' },
  HS_SCHEMA_TOO_NEW: { exitCode: 9, summary: 'the knowledge base was migrated by a newer Homeostat' },
  HS_INTERNAL: { exitCode: 1, summary: 'an unexpected internal error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Codes a retry cannot cure: the same input, rule or missing object fails the same way again.
 * Activity retry policies list them as `nonRetryableErrorTypes`; every other code is retried.
 */
export const NON_RETRYABLE_ERROR_CODES: readonly ErrorCode[] = [
  'HS_INVALID_INPUT',
  'HS_TOOLCHAIN_MISSING',
  'HS_NOT_FOUND',
  'HS_UNAUTHORISED',
  'HS_REFUSED',
  'HS_PRECONDITION_FAILED',
  'HS_SNAPSHOT_MISMATCH',
  'HS_INTEGRITY',
];

export class HomeostatError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'HomeostatError';
    this.code = code;
    this.details = details;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exitCode;
  }
}

export function isHomeostatError(err: unknown): err is HomeostatError {
  return err instanceof HomeostatError;
}
