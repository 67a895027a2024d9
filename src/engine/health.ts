/**
 * Health after apply: the health checks (and, for services just changed, restart verification)
 * of every service of a host run in one batch; a failed check fails the host with what was
 * checked and what was seen. `plan --check-health` runs the same checks without restarts.
 */
import type { HostWork } from '../config/playbook.ts';
import { RESTART_MARGIN, type CheckKind, type LogCheck, type ServiceHealth } from '../core/health.ts';
import type { Transport } from '../transport/transport.ts';
import { HostError } from './errors.ts';
import { checkCommand, describeCheck, offsetsCommand, parseCheckResult, parseOffsets, restartCommand } from './health-scripts.ts';
import type { HostPlan } from './plan.ts';
import { runBatch } from './read-host.ts';
import { scrub } from './redact.ts';
import type { ScriptStep } from './remote-script.ts';

/** One check's result, as in the plan JSON (schemas/plan.schema.json, host.health). */
export interface HealthResult {
  /** Address of the service resource. */
  readonly resource: string;
  /** The check's name, or "restart" for restart verification. */
  readonly check: string;
  readonly kind: CheckKind | 'restart';
  /** What was checked, e.g. "tcp 127.0.0.1:8080". */
  readonly target: string;
  readonly ok: boolean;
  readonly attempts: number;
  /** What was seen on the last attempt: "connect: Connection refused", "HTTP 500 ...", matching log lines. */
  readonly evidence: string;
}

interface ServiceEntry {
  readonly address: string;
  readonly health: ServiceHealth;
}

function servicesOf(work: HostWork): ServiceEntry[] {
  const out: ServiceEntry[] = [];
  for (const r of work.graph.order) {
    // Check values travel as argv of a process on the host, visible to every user there.
    const secret = [...r.sensitivePaths].find((p) => p === 'health' || p.startsWith('health.'));
    if (secret !== undefined) {
      throw new HostError(work.host.name, `${r.address}: ${secret} holds a secret value, and health checks put their values on a command line on the host`, { resource: r.address, phase: 'read', hint: 'let the check read the secret on the host (e.g. a command that reads a root-only file) instead of templating it in' });
    }
    const health = r.module.health?.(r.desired);
    if (health && (health.checks.length > 0 || health.restart)) out.push({ address: r.address, health });
  }
  return out;
}

export function hasHealthChecks(work: HostWork): boolean {
  return servicesOf(work).length > 0;
}

/** Log files whose size must be known before apply, so their window is "appended since apply started". */
export function logFiles(work: HostWork): string[] {
  const paths = servicesOf(work).flatMap((s) => s.health.checks.filter((c) => c.kind === 'log' && (c.spec as LogCheck).source === 'file').map((c) => (c.spec as LogCheck).path ?? ''));
  return [...new Set(paths)];
}

/** A step for the start of the apply batch measuring the log files; null when there are none. */
export function offsetStep(work: HostWork): ScriptStep | null {
  const paths = logFiles(work);
  return paths.length > 0 ? { id: 'health.offsets', command: offsetsCommand(paths) } : null;
}

export function offsetsFrom(work: HostWork, results: ReadonlyMap<string, { code: number; stdout: Buffer; stderr: Buffer }>): Map<string, number> {
  return parseOffsets(logFiles(work), results.get('health.offsets'));
}

export interface HealthOptions {
  /** Services (addresses) whose restart is verified: the ones apply just changed. */
  readonly verifyRestart?: ReadonlySet<string>;
  readonly offsets?: ReadonlyMap<string, number>;
  readonly phase?: 'apply' | 'read';
}

/** Runs every check of the host's services in one batch. Resolves to [] (no exec) when there are none. */
export async function runHealth(transport: Transport, work: HostWork, options: HealthOptions = {}): Promise<HealthResult[]> {
  const services = servicesOf(work);
  const steps: ScriptStep[] = [];
  const pending: { id: string; result: Omit<HealthResult, 'ok' | 'attempts' | 'evidence'> }[] = [];
  for (const [i, s] of services.entries()) {
    for (const [j, c] of s.health.checks.entries()) {
      const id = `h${i}.${j}`;
      steps.push({ id, command: checkCommand(c, { journal: s.health.journal, offsets: options.offsets ?? new Map() }) });
      pending.push({ id, result: { resource: s.address, check: c.name, kind: c.kind, target: describeCheck(c, s.health.journal) } });
    }
    // After the checks: they prove the applied service works before it is killed.
    const restart = s.health.restart;
    if (restart && options.verifyRestart?.has(s.address)) {
      const wait = restart.delay + RESTART_MARGIN;
      const id = `h${i}.restart`;
      steps.push({ id, command: restartCommand(restart.mainPid, wait) });
      pending.push({ id, result: { resource: s.address, check: 'restart', kind: 'restart', target: `kill -9 of the main process; back within ${Math.ceil(wait)}s (restart delay ${restart.delay}s + ${RESTART_MARGIN}s)` } });
    }
  }
  if (steps.length === 0) return [];
  const results = await runBatch(transport, work, steps, false, options.phase ?? 'apply');
  return pending.map(({ id, result }) => {
    const r = results.get(id);
    const outcome = r ? parseCheckResult(r) : { ok: false, attempts: 0, evidence: 'the check did not run' };
    return { ...result, ...outcome, evidence: scrub(outcome.evidence, work.secrets) };
  });
}

/** The host's plan with the results, and the error naming every failed check when one failed. */
export function withHealth(plan: HostPlan, results: readonly HealthResult[]): HostPlan {
  if (results.length === 0) return plan;
  const failed = results.filter((r) => !r.ok);
  if (failed.length === 0 || plan.error) return { ...plan, health: results };
  const what = failed.map((f) => `${f.resource} ${f.check} (${f.target}): ${f.evidence.replace(/\n/g, ' | ')}${f.attempts > 1 ? ` [${f.attempts} attempts]` : ''}`).join('; ');
  const onlyRestart = failed.every((f) => f.kind === 'restart');
  return {
    ...plan,
    health: results,
    error: {
      message: `${failed.length} health check${failed.length === 1 ? '' : 's'} failed: ${what}`,
      resource: failed[0]?.resource ?? '',
      hint: onlyRestart
        ? 'the supervisor did not bring the killed process back: check the restart policy (never does not restart) and the service\'s logs; the next apply starts it again'
        : 'the service is not healthy: read the evidence and the service\'s logs, fix the service or the check, then apply again',
      phase: 'health',
    },
  };
}
