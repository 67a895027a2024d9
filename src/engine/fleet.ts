/**
 * Runs plan or apply over every host concurrently (bounded by forks), one connection per host
 * reused for the whole run; each host goes at its own pace (no barrier per resource). A failing
 * host never stops the others: its error is recorded. Apply may go in batches (--serial) and
 * stop starting batches once too many hosts failed (--max-fail-percent). Connecting retries
 * transient network failures; a host may be given a time limit; an aborted `stop` signal
 * (Ctrl-C) lets each host finish its step in flight and starts nothing new.
 */
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import type { Configuration, HostWork } from '../config/playbook.ts';
import type { Transport } from '../transport/transport.ts';
import { ConnectionError } from '../transport/transport.ts';
import { applyHost, type ApplyEvent } from './apply-host.ts';
import { HostError } from './errors.ts';
import { runHealth, withHealth } from './health.ts';
import { planSnapshot, readSnapshot } from './host-snapshot.ts';
import type { LockHolder } from './host-state.ts';
import { DEFAULT_RETRY_POLICY, withRetries, type RetryPolicy } from './retry.ts';
import { batches, tooManyFailed, type Serial } from './rollout.ts';
import type { HostPlan, HostPlanError } from './plan.ts';
import { scrub } from './redact.ts';

export type TransportFactory = (work: HostWork) => Transport;

export interface HostOutcome {
  readonly plan: HostPlan;
  /** For apply: resources changed. */
  readonly applied?: readonly string[];
  readonly execs: number;
}

export type HostEvent = { host: string } & (
  | { type: 'start' }
  | { type: 'retrying'; retry: number; waitMs: number; message: string }
  | { type: 'connected' }
  | ApplyEvent
  | { type: 'done'; outcome: HostOutcome }
);

export interface FleetOptions {
  readonly forks: number;
  readonly transportFor: TransportFactory;
  readonly onEvent?: (e: HostEvent) => void;
  /** Overrides the inventory's connection.retries / retry_delay for every host. */
  readonly retry?: Partial<RetryPolicy>;
  /** A host that takes longer than this (connecting included) fails. */
  readonly hostTimeoutMs?: number;
  /** Aborted on Ctrl-C: no new host or batch starts, each host finishes the step in flight. */
  readonly stop?: AbortSignal;
  /** plan: also run the services' health checks (read-only). */
  readonly checkHealth?: boolean;
}

export interface ApplyFleetOptions extends FleetOptions {
  readonly expected?: ReadonlyMap<string, HostPlan>;
  readonly prune?: boolean;
  readonly serial?: Serial;
  readonly maxFailPercent?: number;
}

export function errorOf(work: HostWork, e: unknown): HostPlanError {
  if (e instanceof HostError) return { message: scrub(e.message, work.secrets), ...(e.options.resource ? { resource: e.options.resource } : {}), ...(e.options.hint ? { hint: e.options.hint } : {}), ...(e.options.phase ? { phase: e.options.phase } : {}) };
  if (e instanceof ConnectionError) return { message: scrub(e.message, work.secrets), ...(e.hint ? { hint: e.hint } : {}), phase: 'connect' };
  return { message: scrub(e instanceof Error ? e.message : String(e), work.secrets), phase: 'internal' };
}

/** The retry policy of a host: command line, then inventory, then the default. */
export function retryPolicyFor(work: HostWork, override: Partial<RetryPolicy> = {}): RetryPolicy {
  const c = work.host.connection;
  return {
    retries: override.retries ?? c.retries ?? DEFAULT_RETRY_POLICY.retries,
    delayMs: override.delayMs ?? (c.retry_delay === undefined ? DEFAULT_RETRY_POLICY.delayMs : c.retry_delay * 1000),
  };
}

/** Who this run is, recorded in each host's lock. */
export function newLockHolder(): LockHolder {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry for this uid (a container): the pid and host still tell runs apart
  }
  return { controller: `${user}@${hostname()}`, pid: process.pid, since: new Date().toISOString(), run: randomBytes(8).toString('hex') };
}

/** Runs fn over items, at most `limit` at once; items not started before `stop` aborted stay undefined. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>, stop?: AbortSignal): Promise<(R | undefined)[]> {
  const results: (R | undefined)[] = new Array<R | undefined>(items.length).fill(undefined);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !stop?.aborted) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

function notAttempted(work: HostWork, reason: string, options: FleetOptions): HostOutcome {
  const outcome: HostOutcome = { plan: { host: work.host.name, address: work.host.address, not_attempted: { reason }, resources: [] }, execs: 0 };
  options.onEvent?.({ type: 'start', host: work.host.name });
  options.onEvent?.({ type: 'done', host: work.host.name, outcome });
  return outcome;
}

const INTERRUPTED = 'interrupted (Ctrl-C) before this host was started';

async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => HostError): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  work.catch(() => undefined); // settles after the timeout when the transport is closed
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}

async function withHost(work: HostWork, options: FleetOptions, body: (t: Transport, onEvent: (e: ApplyEvent) => void) => Promise<Omit<HostOutcome, 'execs'>>): Promise<HostOutcome> {
  const host = work.host.name;
  let doing = 'connecting';
  const onEvent = (e: ApplyEvent): void => {
    doing = e.type;
    options.onEvent?.({ host, ...e });
  };
  options.onEvent?.({ type: 'start', host });
  let transport: Transport | undefined;
  let outcome: HostOutcome;
  const run = async (t: Transport): Promise<HostOutcome> => {
    await withRetries(retryPolicyFor(work, options.retry), () => t.connect(), {
      ...(options.stop ? { signal: options.stop } : {}),
      onRetry: (retry, waitMs, e) => options.onEvent?.({ type: 'retrying', host, retry, waitMs, message: e instanceof Error ? e.message : String(e) }),
    });
    options.onEvent?.({ type: 'connected', host });
    return { ...(await body(t, onEvent)), execs: t.execCount };
  };
  try {
    transport = options.transportFor(work);
    const limit = options.hostTimeoutMs;
    outcome = limit
      ? await withTimeout(run(transport), limit, () =>
          new HostError(host, `did not finish within the host timeout of ${limit / 1000} s (it was ${doing})`, {
            phase: 'timeout',
            hint: `raise --host-timeout${doing === 'applying' ? `; the apply may have gone on on the host and kept its lock: see provision unlock ${host}` : ''}`,
          }),
        )
      : await run(transport);
  } catch (e) {
    outcome = { plan: { host, address: work.host.address, error: errorOf(work, e), resources: [] }, execs: transport?.execCount ?? 0 };
  } finally {
    await transport?.close().catch(() => {});
  }
  options.onEvent?.({ type: 'done', host, outcome });
  return outcome;
}

export async function planFleet(config: Configuration, options: FleetOptions & { prune?: boolean }): Promise<HostOutcome[]> {
  const results = await pool(
    config.hosts,
    options.forks,
    (work) =>
      withHost(work, options, async (t) => {
        const plan = planSnapshot(work, await readSnapshot(t, work), options.prune === true).plan;
        return { plan: options.checkHealth ? withHealth(plan, await runHealth(t, work, { phase: 'read' })) : plan };
      }),
    options.stop,
  );
  return results.map((o, i) => o ?? notAttempted(config.hosts[i] as HostWork, INTERRUPTED, options));
}

function failed(o: HostOutcome): boolean {
  return o.plan.error !== undefined && o.plan.error.phase !== 'interrupted';
}

export async function applyFleet(config: Configuration, options: ApplyFleetOptions): Promise<HostOutcome[]> {
  const holder = newLockHolder();
  const applyOne = async (work: HostWork): Promise<HostOutcome> => {
    const expected = options.expected?.get(work.host.name);
    if (expected?.not_attempted) return notAttempted(work, 'it was not planned (the plan was interrupted)', options);
    if (expected?.error) {
      // The plan could not read this host: there is nothing reviewed to apply, so do not connect.
      const outcome: HostOutcome = { plan: expected, execs: 0 };
      options.onEvent?.({ type: 'start', host: work.host.name });
      options.onEvent?.({ type: 'done', host: work.host.name, outcome });
      return outcome;
    }
    return withHost(work, options, async (t, onEvent) => {
      if (options.expected && !expected) throw new HostError(work.host.name, 'this host is not in the saved plan', { phase: 'stale', hint: 'run provision plan again for this host' });
      const r = await applyHost(t, work, { expected, onEvent, holder, ...(options.prune ? { prune: true } : {}), ...(options.stop ? { stop: options.stop } : {}) });
      return { plan: r.plan, applied: r.applied };
    });
  };

  const outcomes = new Map<string, HostOutcome>();
  const groups = batches(config.hosts, options.serial);
  let attempted = 0;
  let failures = 0;
  let stopped: string | undefined;
  for (const [b, group] of groups.entries()) {
    if (!stopped && options.stop?.aborted) stopped = INTERRUPTED;
    if (stopped) {
      for (const w of group) outcomes.set(w.host.name, notAttempted(w, stopped, options));
      continue;
    }
    const results = await pool(group, options.forks, applyOne, options.stop);
    for (const [i, o] of results.entries()) {
      const w = group[i] as HostWork;
      if (!o) {
        outcomes.set(w.host.name, notAttempted(w, INTERRUPTED, options));
        continue;
      }
      outcomes.set(w.host.name, o);
      attempted++;
      if (failed(o)) failures++;
    }
    if (tooManyFailed(failures, attempted, options.maxFailPercent) && b < groups.length - 1) {
      stopped = `not attempted: ${failures} of ${attempted} hosts attempted failed, more than --max-fail-percent ${options.maxFailPercent}; no batch was started after batch ${b + 1} of ${groups.length}`;
    }
  }
  return config.hosts.map((w) => outcomes.get(w.host.name) as HostOutcome);
}
