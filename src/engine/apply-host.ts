/**
 * Converging one host: read again (refusing a stale plan), run every change in dependency
 * order in one batched script that stops at the first failure, then read a third time to
 * prove convergence, and run the services' health checks (health.ts).
 */
import type { HostWork } from '../config/playbook.ts';
import type { Transport } from '../transport/transport.ts';
import { HostError } from './errors.ts';
import { hasHealthChecks, offsetStep, offsetsFrom, runHealth, withHealth, type HealthOptions } from './health.ts';
import { canonicalJson } from '../core/json.ts';
import { planFromState, type HostPlan, type ResourcePlan } from './plan.ts';
import { readHost, runBatch } from './read-host.ts';
import { scrub } from './redact.ts';
import type { ScriptStep } from './remote-script.ts';

export interface ApplyResult {
  /** The plan as it was when apply started (after the re-read). */
  readonly plan: HostPlan;
  /** Addresses of resources whose commands all ran successfully. */
  readonly applied: readonly string[];
}

export type ApplyEvent = { type: 'reading' } | { type: 'applying'; resources: number } | { type: 'verifying' } | { type: 'checking health' };

function reviewed(r: ResourcePlan): unknown {
  return { action: r.action, changes: r.changes, refresh: r.refresh ?? null };
}

/** Refuse to apply when what was reviewed no longer matches the host or the playbook. */
export function checkNotStale(expected: HostPlan, actual: HostPlan): void {
  const before = new Map(expected.resources.map((r) => [r.address, r]));
  for (const r of actual.resources) {
    const e = before.get(r.address);
    if (!e) throw new HostError(actual.host, `${r.address} is in the playbook but not in the saved plan`, { resource: r.address, phase: 'stale', hint: 'the playbook changed since the plan was made: run provision plan again' });
    if (e.desiredDigest !== r.desiredDigest) throw new HostError(actual.host, `the desired state of ${r.address} changed since the plan was made`, { resource: r.address, phase: 'stale', hint: 'the playbook, its templates, variables or secrets changed: run provision plan again' });
    if (e.currentDigest !== r.currentDigest) throw new HostError(actual.host, `${r.address} changed on the host since the plan was made`, { resource: r.address, phase: 'stale', hint: 'something else changed the host after the plan: run provision plan again and review it' });
    // Secrets are not in desiredDigest (a saved plan must not allow guessing them), so a rotated
    // secret shows up here: the recomputed changes must be exactly the reviewed ones.
    if (canonicalJson(reviewed(e)) !== canonicalJson(reviewed(r))) {
      throw new HostError(actual.host, `the changes planned for ${r.address} differ from the saved plan`, { resource: r.address, phase: 'stale', hint: 'an input of the playbook changed (a secret from the environment?): run provision plan again' });
    }
    before.delete(r.address);
  }
  const [gone] = before.keys();
  if (gone) throw new HostError(actual.host, `${gone} is in the saved plan but no longer in the playbook`, { resource: gone, phase: 'stale', hint: 'run provision plan again' });
}

export async function applyHost(transport: Transport, work: HostWork, options: { expected?: HostPlan; onEvent?: (e: ApplyEvent) => void } = {}): Promise<ApplyResult> {
  const host = work.host.name;
  options.onEvent?.({ type: 'reading' });
  const { plan, steps } = planFromState(work, await readHost(transport, work));
  if (options.expected) checkNotStale(options.expected, plan);
  if (steps.length === 0) return { plan: await checkHealth(transport, work, plan, {}, options.onEvent), applied: [] };

  options.onEvent?.({ type: 'applying', resources: steps.length });
  const offsets = offsetStep(work);
  const scriptSteps: ScriptStep[] = [...(offsets ? [offsets] : []), ...steps.flatMap((s, i) => s.commands.map((command, j) => ({ id: `r${i}.${j}`, command })))];
  const results = await runBatch(transport, work, scriptSteps, true, 'apply');
  const applied: string[] = [];
  for (const [i, s] of steps.entries()) {
    for (const [j, command] of s.commands.entries()) {
      const r = results.get(`r${i}.${j}`);
      const address = s.state.resource.address;
      if (!r) throw new HostError(host, `${address}: "${command.label}" did not run`, { resource: address, phase: 'apply' });
      if (r.code !== 0) {
        const output = scrub((r.stderr.toString('utf8') || r.stdout.toString('utf8')).trim(), work.secrets);
        throw new HostError(host, `${address}: "${command.label}" failed with exit code ${r.code}${output ? `: ${output}` : ''}`, { resource: address, phase: 'apply' });
      }
    }
    applied.push(s.state.resource.address);
  }

  options.onEvent?.({ type: 'verifying' });
  const after = await readHost(transport, work, 'verify');
  const left = after.resources.filter((s) => s.diff.status === 'change');
  if (left.length > 0) {
    const what = left.map((s) => `${s.resource.address} (${s.diff.status === 'change' ? s.diff.changes.map((c) => c.attribute).join(', ') : ''})`).join('; ');
    throw new HostError(host, `did not converge: ${what} still differ after apply`, { resource: left[0]?.resource.address, phase: 'verify', hint: 'something on the host reverts or rejects the change; check the resource by hand' });
  }
  return { plan: await checkHealth(transport, work, plan, { verifyRestart: new Set(applied), offsets: offsetsFrom(work, results) }, options.onEvent), applied };
}

async function checkHealth(transport: Transport, work: HostWork, plan: HostPlan, options: HealthOptions, onEvent?: (e: ApplyEvent) => void): Promise<HostPlan> {
  if (!hasHealthChecks(work)) return plan;
  onEvent?.({ type: 'checking health' });
  return withHealth(plan, await runHealth(transport, work, options));
}
