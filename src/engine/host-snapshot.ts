/**
 * Everything plan and apply learn about a host: the resources' state, the ledger and (for
 * apply) the lock, all in one round trip; the orphans' state in a second one only when the
 * ledger lists resources the playbook no longer has.
 */
import type { HostWork } from '../config/playbook.ts';
import type { Transport } from '../transport/transport.ts';
import { HostError } from './errors.ts';
import { hostOs } from '../config/inventory.ts';
import { DEFAULT_LINUX_STATE_DIR, linuxHostState } from './host-state-linux.ts';
import { windowsHostState } from './host-state-windows.ts';
import { describeHolder, parseLockAttempt, type HostStateScripts, type LockHolder } from './host-state.ts';
import { LedgerError, orphansOf, parseLedger, type Ledger } from './ledger.ts';
import { planOrphans, readOrphans, type OrphanState } from './orphans.ts';
import { planFromState, type HostPlan, type ResourceSteps } from './plan.ts';
import { readHost, runBatch, type HostState, type HostStep } from './read-host.ts';

/**
 * Where the lock and ledger live on a host. PROVISION_STATE_DIR moves them (tests on the
 * controller itself, logins that are not root); Windows hosts get their own scripts.
 */
export function hostStateFor(work: HostWork): HostStateScripts {
  if (hostOs(work.host) === 'windows') return windowsHostState();
  return linuxHostState(process.env['PROVISION_STATE_DIR'] || DEFAULT_LINUX_STATE_DIR);
}

export interface HostSnapshot {
  readonly state: HostState;
  readonly ledger: Ledger;
  readonly orphans: readonly OrphanState[];
}

/** Reads a host; with `lock`, takes the apply lock in the same round trip or refuses, naming the holder. */
export async function readSnapshot(transport: Transport, work: HostWork, options: { lock?: LockHolder } = {}): Promise<HostSnapshot> {
  const host = work.host.name;
  const scripts = hostStateFor(work);
  const extra: HostStep[] = [...(options.lock ? [{ id: 'lock', command: scripts.acquireLock(options.lock) }] : []), { id: 'ledger', command: scripts.readLedger() }];
  const state = await readHost(transport, work, 'read', extra);
  if (options.lock) {
    const r = state.extra.get('lock');
    if (!r) throw new HostError(host, 'the host did not answer the lock step', { phase: 'lock' });
    let attempt;
    try {
      attempt = parseLockAttempt(r);
    } catch (e) {
      throw new HostError(host, `cannot take the apply lock ${scripts.lockPath}: ${(e as Error).message}`, { phase: 'lock', hint: `provision keeps its lock and ledger in ${scripts.lockPath.replace(/\/[^/]*$/, '')}: log in as root or set become: true` });
    }
    if (!attempt.taken) {
      throw new HostError(host, `another apply holds the lock ${scripts.lockPath}: ${describeHolder(attempt.holder)}`, {
        phase: 'lock',
        hint: `wait for that apply to finish; if it is gone (its controller crashed or was killed), remove the stale lock with: provision unlock ${host} -i INVENTORY`,
      });
    }
  }
  try {
    const ledger = readLedger(work, scripts, state);
    const orphans = orphansOf(ledger, work.graph.order);
    return { state, ledger, orphans: orphans.length > 0 ? await readOrphans(transport, work, orphans, state.facts) : [] };
  } catch (e) {
    if (options.lock) await runBatch(transport, work, [{ id: 'release', command: scripts.releaseLock(options.lock.run) }], false, 'read').catch(() => undefined);
    throw e;
  }
}

function readLedger(work: HostWork, scripts: HostStateScripts, state: HostState): Ledger {
  const r = state.extra.get('ledger');
  const fix = `fix or remove ${scripts.ledgerPath} (provision then forgets its orphans and pending restarts)`;
  if (!r || r.code !== 0) {
    throw new HostError(work.host.name, `cannot read the ledger ${scripts.ledgerPath}${r ? `: ${r.stderr.toString('utf8').trim()}` : ''}`, { phase: 'read', hint: `log in as root or set become: true; otherwise ${fix}` });
  }
  try {
    return parseLedger(r.stdout.toString('utf8'));
  } catch (e) {
    if (e instanceof LedgerError) throw new HostError(work.host.name, `${scripts.ledgerPath}: ${e.message}`, { phase: 'read', hint: fix });
    throw e;
  }
}

/** Prune when the command line asks for it or a play of this host says prune: true. */
export function planSnapshot(work: HostWork, snapshot: HostSnapshot, prune: boolean): { plan: HostPlan; steps: ResourceSteps[] } {
  const pending = new Map(snapshot.ledger.pending_refresh.map((p) => [p.address, p]));
  const own = planFromState(work, snapshot.state, { pending });
  const orphans = planOrphans(snapshot.orphans, prune || work.prune);
  return { plan: { ...own.plan, resources: [...own.plan.resources, ...orphans.resources] }, steps: [...own.steps, ...orphans.steps] };
}
