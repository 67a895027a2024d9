/**
 * Connecting again after transient network failures (refused, unreachable, timed out, reset
 * while connecting), with exponential backoff. Authentication and host key failures are never
 * retried: trying again cannot fix them and only hides the real error for longer.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionError } from '../transport/transport.ts';

export interface RetryPolicy {
  /** Attempts after the first one. */
  readonly retries: number;
  /** Wait before the first retry; each further retry waits twice as long (capped). */
  readonly delayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 2, delayMs: 1000 };

/** No single wait grows beyond this, however many retries are asked for. */
const MAX_DELAY_MS = 30_000;

export function isTransient(e: unknown): boolean {
  return e instanceof ConnectionError && e.transient;
}

/** The wait before retry number `retry` (1-based). */
export function backoffMs(policy: RetryPolicy, retry: number): number {
  return Math.min(MAX_DELAY_MS, policy.delayMs * 2 ** (retry - 1));
}

/**
 * Runs `attempt` until it succeeds, fails for good, or the retries are spent. The last error is
 * thrown with the number of attempts in its message so the operator sees retries happened.
 * An aborted `signal` (Ctrl-C, host timeout) stops waiting and rethrows the last error.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  attempt: () => Promise<T>,
  options: { signal?: AbortSignal; onRetry?: (retry: number, waitMs: number, error: unknown) => void } = {},
): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (e) {
      if (!isTransient(e) || retry >= policy.retries || options.signal?.aborted) throw retry > 0 ? afterAttempts(e, retry + 1) : e;
      const wait = backoffMs(policy, retry + 1);
      options.onRetry?.(retry + 1, wait, e);
      try {
        await sleep(wait, undefined, { signal: options.signal });
      } catch {
        throw afterAttempts(e, retry + 1);
      }
    }
  }
}

function afterAttempts(e: unknown, attempts: number): unknown {
  if (!(e instanceof ConnectionError)) return e;
  return new ConnectionError(e.host, `${e.message} (after ${attempts} attempt${attempts === 1 ? '' : 's'})`, e.hint, e.transient);
}
