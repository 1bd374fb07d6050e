// Retry decisions, shared by the gateway and usable by any script that resends requests:
// which methods may be repeated (RFC 9110 §9.2.2: idempotent ones, unless the policy allows
// others), which outcomes deserve another attempt, and the back-off between attempts
// (exponential, capped at ten times the base, as Envoy's default).

export interface RetryPolicy {
  /** Extra attempts after the first. */
  attempts: number;
  /** Response statuses that are retried. */
  codes: readonly number[];
  /** Base back-off (ms). */
  backoff: number;
  /** Retry when no response came (refused, reset). A per-attempt timeout counts as a 504. */
  onConnectFailure: boolean;
  allowNonIdempotent: boolean;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Extra attempts a request with `method` may get under `p` (0 without a policy). */
export function attemptsFor(p: RetryPolicy | null, method: string): number {
  if (p === null) return 0;
  return IDEMPOTENT.has(method) || p.allowNonIdempotent ? p.attempts : 0;
}

/**
 * Whether an attempt is retried: by its status, or, when no response came (`error` set,
 * `status` the gateway's stand-in: 503 refused, 504 timed out, 502 otherwise), by the
 * connection-failure trigger (not for timeouts: the upstream may still be working on it).
 */
export function shouldRetry(p: RetryPolicy, status: number, error: string): boolean {
  if (p.codes.includes(status)) return true;
  return error !== '' && error !== 'ReadTimeout' && p.onConnectFailure;
}

/** Milliseconds to wait before attempt `i + 1` (i counts from 0). */
export function backoffDelay(p: RetryPolicy, i: number): number {
  return Math.min(p.backoff * 2 ** i, p.backoff * 10);
}
