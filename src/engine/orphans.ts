/**
 * Orphans: resources a host's ledger lists from an earlier apply that the playbook no longer
 * has. They are read (their removal state probed, in one extra round trip, only when there are
 * any), shown in the plan, and deleted when pruning.
 */
import { moduleFor, type AnyModule } from '../../modules/registry.ts';
import type { HostWork } from '../config/playbook.ts';
import { digest } from '../core/json.ts';
import type { DiffResult, HostFacts } from '../core/types.ts';
import type { Transport } from '../transport/transport.ts';
import { HostError } from './errors.ts';
import type { LedgerEntry } from './ledger.ts';
import type { ResourcePlan, ResourceSteps } from './plan.ts';
import { runBatch } from './read-host.ts';
import { redactChange, scrub } from './redact.ts';

export interface OrphanState {
  readonly entry: LedgerEntry;
  /** Absent when provision cannot remove this kind (or no longer knows it). */
  readonly read?: { readonly module: AnyModule; readonly current: unknown; readonly diff: DiffResult };
  readonly currentDigest: string;
}

function removable(entry: LedgerEntry): AnyModule | undefined {
  const module = moduleFor(entry.kind);
  return entry.removal && module?.removal ? module : undefined;
}

/** Probes every prunable orphan's removal state in one batch. */
export async function readOrphans(transport: Transport, work: HostWork, entries: readonly LedgerEntry[], facts: HostFacts): Promise<OrphanState[]> {
  const prunable = entries.flatMap((entry, i) => {
    const module = removable(entry);
    return module && entry.removal ? [{ i, entry, module, removal: entry.removal }] : [];
  });
  const results = prunable.length > 0 ? await runBatch(transport, work, prunable.map((o) => ({ id: `o${o.i}`, command: o.module.probe(o.removal) })), false, 'read') : new Map();
  return entries.map((entry, i) => {
    const o = prunable.find((x) => x.i === i);
    if (!o) return { entry, currentDigest: '' };
    const r = results.get(`o${i}`);
    if (!r) throw new HostError(work.host.name, `no output for the orphan ${entry.address}`, { phase: 'read', resource: entry.address });
    let current: unknown;
    try {
      current = o.module.parse(r, o.removal, facts);
    } catch (e) {
      throw new HostError(work.host.name, `cannot read the orphan ${entry.address}: ${scrub((e as Error).message, work.secrets)}`, { phase: 'read', resource: entry.address });
    }
    return {
      entry,
      read: { module: o.module, current, diff: o.module.diff(o.removal, current) },
      currentDigest: digest(o.module.stableState ? o.module.stableState(current) : current),
    };
  });
}

export interface OrphanPlan {
  readonly resources: ResourcePlan[];
  /** Deletes, dependents first (reverse ledger order). */
  readonly steps: ResourceSteps[];
}

export function planOrphans(orphans: readonly OrphanState[], prune: boolean): OrphanPlan {
  const resources: ResourcePlan[] = [];
  const steps: ResourceSteps[] = [];
  for (const o of orphans) {
    const { address, kind, name, removal } = o.entry;
    const base = { address, kind, name, currentDigest: o.currentDigest, desiredDigest: digest(removal) };
    if (!o.read) {
      const reason = prune
        ? `orphan: no longer in the playbook; ${kind} cannot be pruned by provision, so it is left on the host as it is and forgotten`
        : `orphan: no longer in the playbook; ${kind} cannot be pruned by provision: remove it by hand if it is not wanted (--prune forgets it)`;
      resources.push({ ...base, action: 'none', reason, changes: [], orphan: { prunable: false } });
      continue;
    }
    const { module, current, diff } = o.read;
    if (diff.status === 'ok') {
      resources.push({ ...base, action: 'none', reason: `orphan: no longer in the playbook and already gone from the host (${diff.reason})`, changes: [], orphan: { prunable: true } });
    } else if (!prune) {
      resources.push({ ...base, action: 'none', reason: 'orphan: no longer in the playbook; --prune (or prune: true in a play) deletes it', changes: [], orphan: { prunable: true } });
    } else {
      resources.push({ ...base, action: 'delete', changes: diff.changes.map((c) => redactChange(c, new Set([...module.sensitiveAttributes, ...o.entry.sensitive]))), orphan: { prunable: true } });
      const commands = module.apply(removal, current, diff);
      steps.unshift({ address, commands, refreshFrom: commands.length, refreshBy: [] });
    }
  }
  return { resources, steps };
}

/** Ledger entries still to keep after a run: orphans on the host that were not removed. */
export function orphansKept(orphans: readonly OrphanState[], prune: boolean, removed: ReadonlySet<string>): LedgerEntry[] {
  return orphans
    .filter((o) => {
      if (!o.read) return !prune;
      return o.read.diff.status === 'change' && !removed.has(o.entry.address);
    })
    .map((o) => o.entry);
}
