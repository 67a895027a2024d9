/**
 * Converging one host: take its lock and read it again (refusing a stale plan) in one round
 * trip, run every change in dependency order in one batched script that stops at the first
 * failure (the ledger written before and after the changes), then read a third time to prove
 * convergence, releasing the lock in the same round trip, and run the services' health checks
 * (health.ts).
 */
import type { HostWork } from '../config/playbook.ts';
import type { Transport } from '../transport/transport.ts';
import { HostError } from './errors.ts';
import { hasHealthChecks, offsetStep, offsetsFrom, runHealth, withHealth, type HealthOptions } from './health.ts';
import { canonicalJson } from '../core/json.ts';
import { hostStateFor, planSnapshot, readSnapshot } from './host-snapshot.ts';
import type { LockHolder } from './host-state.ts';
import { ledgerDiffers, mergePending, nextLedger, serialiseLedger, type Ledger, type PendingRefresh } from './ledger.ts';
import { orphansKept } from './orphans.ts';
import type { HostPlan, ResourcePlan } from './plan.ts';
import { readHost, runBatch, type HostStep } from './read-host.ts';
import { scrub } from './redact.ts';

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
  // An orphan left alone changes nothing: one that appeared or went since the plan is no reason to refuse.
  const leftAlone = (r: ResourcePlan): boolean => r.orphan !== undefined && r.action === 'none';
  const before = new Map(expected.resources.filter((r) => !leftAlone(r)).map((r) => [r.address, r]));
  for (const r of actual.resources) {
    if (leftAlone(r)) continue;
    const e = before.get(r.address);
    if (!e && r.orphan) throw new HostError(actual.host, `${r.address} became an orphan to delete since the plan was made`, { resource: r.address, phase: 'stale', hint: 'another apply changed the host\'s ledger: run provision plan again' });
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

export interface ApplyHostOptions {
  /** The reviewed plan (saved plan or the plan just shown): apply refuses when the host differs. */
  readonly expected?: HostPlan;
  readonly onEvent?: (e: ApplyEvent) => void;
  /** Delete orphans (also when a play of the host says prune: true). */
  readonly prune?: boolean;
  /** Who takes the host's lock; one per run. */
  readonly holder: LockHolder;
  /** Aborted on Ctrl-C: the step in flight finishes, no further step starts. */
  readonly stop?: AbortSignal;
}

function interrupted(host: string, what: string): HostError {
  return new HostError(host, `interrupted (Ctrl-C) ${what}`, { phase: 'interrupted', hint: 'run provision apply again to finish' });
}

export async function applyHost(transport: Transport, work: HostWork, options: ApplyHostOptions): Promise<ApplyResult> {
  const host = work.host.name;
  const scripts = hostStateFor(work);
  const holder = options.holder;
  const release: HostStep = { id: 'release', command: scripts.releaseLock(holder.run) };
  options.onEvent?.({ type: 'reading' });
  const snapshot = await readSnapshot(transport, work, { lock: holder });
  let locked = true;
  const inPlaybook = new Set(work.graph.order.map((r) => r.address));
  try {
    const prune = options.prune === true || work.prune;
    const { plan, steps } = planSnapshot(work, snapshot, prune);
    if (options.expected) checkNotStale(options.expected, plan);
    const ledgerAfter = (done: ReadonlySet<string>, pending: readonly PendingRefresh[]): Ledger =>
      nextLedger({ playbook: work.graph.order, orphansKept: orphansKept(snapshot.orphans, prune, done), pending, now: new Date().toISOString(), by: holder.controller });

    if (steps.length === 0) {
      // Nothing to change; the ledger may still learn the playbook's resources or forget orphans.
      const ledger = ledgerAfter(new Set(), []);
      const write = ledgerDiffers(snapshot.ledger, ledger) ? [{ id: 'ledger', command: scripts.writeLedger(serialiseLedger(ledger)) }] : [];
      await finish(transport, work, [...write, release]);
      locked = false;
      return { plan: await checkHealth(transport, work, plan, {}, options.onEvent), applied: [] };
    }
    if (options.stop?.aborted) throw interrupted(host, 'after reading the host; nothing was changed');

    options.onEvent?.({ type: 'applying', resources: steps.length });
    // The ledger is written first with every restart of this run as owed, so that a run cut
    // short (controller killed, connection lost) still leaves them on record; the last step
    // of the same script clears them when every change and restart ran.
    const owedNow = steps.filter((s) => s.refreshFrom < s.commands.length).map((s) => ({ address: s.address, since: holder.since, by: s.refreshBy }));
    const intent = ledgerAfter(new Set(), mergePending(snapshot.ledger.pending_refresh.filter((p) => inPlaybook.has(p.address)), owedNow));
    const done = ledgerAfter(new Set(steps.map((s) => s.address)), []);
    const offsets = offsetStep(work);
    const scriptSteps: HostStep[] = [
      ...(offsets ? [offsets] : []),
      { id: 'intent', command: scripts.writeLedger(serialiseLedger(intent)) },
      ...steps.flatMap((s, i) => s.commands.map((command, j) => ({ id: `r${i}.${j}`, command }))),
      { id: 'done', command: scripts.writeLedger(serialiseLedger(done)) },
    ];
    const results = await runBatch(transport, work, scriptSteps, true, 'apply');
    const applied: string[] = [];
    try {
      const intentResult = results.get('intent');
      if (!intentResult || intentResult.code !== 0) {
        throw new HostError(host, `cannot write the ledger ${scripts.ledgerPath}: ${intentResult?.stderr.toString('utf8').trim() ?? 'no answer'}`, { phase: 'apply', hint: 'log in as root or set become: true; nothing was changed' });
      }
      for (const [i, s] of steps.entries()) {
        for (const [j, command] of s.commands.entries()) {
          const r = results.get(`r${i}.${j}`);
          if (!r) throw new HostError(host, `${s.address}: "${command.label}" did not run`, { resource: s.address, phase: 'apply' });
          if (r.code !== 0) {
            const output = scrub((r.stderr.toString('utf8') || r.stdout.toString('utf8')).trim(), work.secrets);
            throw new HostError(host, `${s.address}: "${command.label}" failed with exit code ${r.code}${output ? `: ${output}` : ''}`, { resource: s.address, phase: 'apply' });
          }
        }
        applied.push(s.address);
      }
      if (results.get('done')?.code !== 0) throw new HostError(host, `every change ran, but writing the ledger ${scripts.ledgerPath} failed`, { phase: 'apply', hint: 'check the disk of the host; run provision apply again' });
    } catch (e) {
      // Record exactly what is still owed: restarts that did not run although what triggers them did.
      const ran = (address: string): boolean => steps.some((s, i) => s.address === address && results.has(`r${i}.0`));
      const owed = steps.flatMap((s, i) => {
        if (s.refreshFrom >= s.commands.length) return [];
        const refreshed = s.commands.every((_, j) => j < s.refreshFrom || results.get(`r${i}.${j}`)?.code === 0);
        if (refreshed || !(s.pendingSince !== undefined || s.refreshBy.some(ran))) return [];
        return [{ address: s.address, since: s.pendingSince ?? holder.since, by: s.refreshBy }];
      });
      const unrelated = snapshot.ledger.pending_refresh.filter((p) => inPlaybook.has(p.address) && !steps.some((s) => s.address === p.address));
      const ledger = ledgerAfter(new Set(applied), mergePending(unrelated, owed));
      await finish(transport, work, [{ id: 'ledger', command: scripts.writeLedger(serialiseLedger(ledger)) }, release]).catch(() => undefined);
      locked = false;
      throw e;
    }

    if (options.stop?.aborted) throw interrupted(host, `after applying ${applied.length} resource(s); they were not verified`);
    options.onEvent?.({ type: 'verifying' });
    const after = await readHost(transport, work, 'verify', [release]);
    locked = after.extra.get('release')?.code !== 0;
    if (locked) throw new HostError(host, `applied, but releasing the lock ${scripts.lockPath} failed`, { phase: 'apply', hint: `remove it with: provision unlock ${host}` });
    const left = after.resources.filter((s) => s.diff.status === 'change');
    if (left.length > 0) {
      const what = left.map((s) => `${s.resource.address} (${s.diff.status === 'change' ? s.diff.changes.map((c) => c.attribute).join(', ') : ''})`).join('; ');
      throw new HostError(host, `did not converge: ${what} still differ after apply`, { resource: left[0]?.resource.address, phase: 'verify', hint: 'something on the host reverts or rejects the change; check the resource by hand' });
    }
    return { plan: await checkHealth(transport, work, plan, { verifyRestart: new Set(applied), offsets: offsetsFrom(work, results) }, options.onEvent), applied };
  } finally {
    if (locked) await finish(transport, work, [release]).catch(() => undefined);
  }
}

/** Runs the closing steps (ledger, lock release) of a host; a failing step fails the host. */
async function finish(transport: Transport, work: HostWork, steps: HostStep[]): Promise<void> {
  const results = await runBatch(transport, work, steps, false, 'apply');
  for (const s of steps) {
    const r = results.get(s.id);
    if (!r || r.code !== 0) throw new HostError(work.host.name, `${s.command.label} failed${r ? `: ${r.stderr.toString('utf8').trim()}` : ''}`, { phase: 'apply', hint: 'log in as root or set become: true' });
  }
}

async function checkHealth(transport: Transport, work: HostWork, plan: HostPlan, options: HealthOptions, onEvent?: (e: ApplyEvent) => void): Promise<HostPlan> {
  if (!hasHealthChecks(work)) return plan;
  onEvent?.({ type: 'checking health' });
  return withHealth(plan, await runHealth(transport, work, options));
}
