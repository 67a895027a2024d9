/**
 * From a host's read state to its plan: one entry per resource with the action, the redacted
 * attribute changes or the reason nothing changes, and refreshes (restarts) that changed
 * dependencies trigger. The same function feeds `plan` output and `apply`.
 */
import type { HostWork } from '../config/playbook.ts';
import type { DiffResult, HostCommand } from '../core/types.ts';
import type { HealthResult } from './health.ts';
import type { PendingRefresh } from './ledger.ts';
import type { HostState } from './read-host.ts';
import { redactChange, type PlannedChange } from './redact.ts';

export type PlanAction = 'create' | 'update' | 'delete' | 'refresh' | 'none';

export interface ResourcePlan {
  readonly address: string;
  readonly kind: string;
  readonly name: string;
  readonly action: PlanAction;
  /** Why nothing changes (action none). */
  readonly reason?: string;
  readonly changes: readonly PlannedChange[];
  /**
   * A restart or reload triggered by changes of the resources named in `by`; `pending_since`
   * when a failed run owed it (recorded in the host's ledger) and it has not run since.
   */
  readonly refresh?: { readonly reason: string; readonly by: readonly string[]; readonly pending_since?: string };
  /**
   * In the host's ledger from an earlier apply but no longer in the playbook. Its action is
   * delete when pruning, otherwise none (the reason says why); `prunable` false when its kind
   * cannot be removed by provision.
   */
  readonly orphan?: { readonly prunable: boolean };
  readonly currentDigest: string;
  readonly desiredDigest: string;
}

export interface HostPlanError {
  readonly message: string;
  readonly resource?: string;
  readonly hint?: string;
  readonly phase?: string;
}

export interface HostPlan {
  readonly host: string;
  readonly address: string;
  readonly error?: HostPlanError;
  /** Set when the run never started on this host (a rolling apply stopped, or Ctrl-C). */
  readonly not_attempted?: { readonly reason: string };
  readonly resources: readonly ResourcePlan[];
  /** Results of health checks (after apply, or plan --check-health). */
  readonly health?: readonly HealthResult[];
}

/** What apply runs for one resource, in order: its own commands, then from `refreshFrom` on its refresh. */
export interface ResourceSteps {
  readonly address: string;
  readonly commands: readonly HostCommand[];
  readonly refreshFrom: number;
  /** The resources whose changes made the refresh due (also earlier runs', when it was pending). */
  readonly refreshBy: readonly string[];
  /** When the refresh was already owed by an earlier run. */
  readonly pendingSince?: string;
}

export function planFromState(work: HostWork, state: HostState, options: { pending?: ReadonlyMap<string, PendingRefresh> } = {}): { plan: HostPlan; steps: ResourceSteps[] } {
  const changed = new Set(state.resources.filter((s) => s.diff.status === 'change').map((s) => s.resource.address));
  const resources: ResourcePlan[] = [];
  const steps: ResourceSteps[] = [];
  for (const s of state.resources) {
    const r = s.resource;
    const pending = options.pending?.get(r.address);
    const by = [...new Set([...(work.graph.notifiedBy.get(r.address) ?? []).filter((a) => changed.has(a)), ...(pending?.by ?? [])])];
    const due = by.length > 0 || pending !== undefined;
    const owed = due && r.module.refresh ? r.module.refresh(r.desired, s.current, s.diff) : null;
    const refresh = owed && pending ? { ...owed, reason: `pending from a failed run at ${pending.since}` } : owed;
    const own: readonly HostCommand[] = s.diff.status === 'change' ? r.module.apply(r.desired, s.current, s.diff as DiffResult & { status: 'change' }) : [];
    const commands = [...own, ...(refresh?.commands ?? [])];
    if (commands.length > 0) steps.push({ address: r.address, commands, refreshFrom: own.length, refreshBy: refresh ? by : [], ...(refresh && pending ? { pendingSince: pending.since } : {}) });
    resources.push({
      address: r.address,
      kind: r.module.kind,
      name: r.name,
      action: s.diff.status === 'change' ? s.diff.action : refresh ? 'refresh' : 'none',
      ...(s.diff.status === 'ok' ? { reason: s.diff.reason } : {}),
      changes: s.diff.status === 'change' ? s.diff.changes.map((c) => redactChange(c, r.sensitivePaths)) : [],
      ...(refresh ? { refresh: { reason: refresh.reason, by, ...(pending ? { pending_since: pending.since } : {}) } } : {}),
      currentDigest: s.currentDigest,
      desiredDigest: r.desiredDigest,
    });
  }
  return { plan: { host: work.host.name, address: work.host.address, resources }, steps };
}

export function hasChanges(plan: HostPlan): boolean {
  return plan.resources.some((r) => r.action !== 'none');
}
