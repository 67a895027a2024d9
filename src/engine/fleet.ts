/**
 * Runs plan or apply over every host concurrently (bounded by forks), one connection per host
 * reused for the whole run. A failing host never stops the others: its error is recorded.
 */
import type { Configuration, HostWork } from '../config/playbook.ts';
import type { Transport } from '../transport/transport.ts';
import { ConnectionError } from '../transport/transport.ts';
import { applyHost, type ApplyEvent } from './apply-host.ts';
import { HostError } from './errors.ts';
import { runHealth, withHealth } from './health.ts';
import { planFromState, type HostPlan, type HostPlanError } from './plan.ts';
import { readHost } from './read-host.ts';
import { scrub } from './redact.ts';

export type TransportFactory = (work: HostWork) => Transport;

export interface HostOutcome {
  readonly plan: HostPlan;
  /** For apply: resources changed. */
  readonly applied?: readonly string[];
  readonly execs: number;
}

export type HostEvent = { host: string } & ({ type: 'start' } | { type: 'connected' } | ApplyEvent | { type: 'done'; outcome: HostOutcome });

export interface FleetOptions {
  readonly forks: number;
  readonly transportFor: TransportFactory;
  readonly onEvent?: (e: HostEvent) => void;
  /** plan: also run the services' health checks (read-only). */
  readonly checkHealth?: boolean;
}

export function errorOf(work: HostWork, e: unknown): HostPlanError {
  if (e instanceof HostError) return { message: scrub(e.message, work.secrets), ...(e.options.resource ? { resource: e.options.resource } : {}), ...(e.options.hint ? { hint: e.options.hint } : {}), ...(e.options.phase ? { phase: e.options.phase } : {}) };
  if (e instanceof ConnectionError) return { message: scrub(e.message, work.secrets), ...(e.hint ? { hint: e.hint } : {}), phase: 'connect' };
  return { message: scrub(e instanceof Error ? e.message : String(e), work.secrets), phase: 'internal' };
}

async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

async function withHost(work: HostWork, options: FleetOptions, body: (t: Transport) => Promise<Omit<HostOutcome, 'execs'>>): Promise<HostOutcome> {
  const host = work.host.name;
  options.onEvent?.({ type: 'start', host });
  let transport: Transport | undefined;
  let outcome: HostOutcome;
  try {
    transport = options.transportFor(work);
    await transport.connect();
    options.onEvent?.({ type: 'connected', host });
    outcome = { ...(await body(transport)), execs: transport.execCount };
  } catch (e) {
    outcome = { plan: { host, address: work.host.address, error: errorOf(work, e), resources: [] }, execs: transport?.execCount ?? 0 };
  } finally {
    await transport?.close().catch(() => {});
  }
  options.onEvent?.({ type: 'done', host, outcome });
  return outcome;
}

export function planFleet(config: Configuration, options: FleetOptions): Promise<HostOutcome[]> {
  return pool(config.hosts, options.forks, (work) =>
    withHost(work, options, async (t) => {
      const plan = planFromState(work, await readHost(t, work)).plan;
      return { plan: options.checkHealth ? withHealth(plan, await runHealth(t, work, { phase: 'read' })) : plan };
    }),
  );
}

export function applyFleet(config: Configuration, options: FleetOptions & { expected?: ReadonlyMap<string, HostPlan> }): Promise<HostOutcome[]> {
  return pool(config.hosts, options.forks, async (work) => {
    const expected = options.expected?.get(work.host.name);
    if (expected?.error) {
      // The plan could not read this host: there is nothing reviewed to apply, so do not connect.
      const outcome: HostOutcome = { plan: expected, execs: 0 };
      options.onEvent?.({ type: 'start', host: work.host.name });
      options.onEvent?.({ type: 'done', host: work.host.name, outcome });
      return outcome;
    }
    return withHost(work, options, async (t) => {
      if (options.expected && !expected) throw new HostError(work.host.name, 'this host is not in the saved plan', { phase: 'stale', hint: 'run provision plan again for this host' });
      const r = await applyHost(t, work, { expected, onEvent: (e) => options.onEvent?.({ host: work.host.name, ...e }) });
      return { plan: r.plan, applied: r.applied };
    });
  });
}
