/**
 * From a host's read state to its plan: one entry per resource with the action, the redacted
 * attribute changes or the reason nothing changes, and refreshes (restarts) that changed
 * dependencies trigger. The same function feeds `plan` output and `apply`.
 */
import type { HostWork } from '../config/playbook.ts';
import type { Command, DiffResult } from '../core/types.ts';
import type { HealthResult } from './health.ts';
import type { HostState, ResourceState } from './read-host.ts';
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
  /** A restart or reload triggered by changes of the resources named in `by`. */
  readonly refresh?: { readonly reason: string; readonly by: readonly string[] };
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
  readonly resources: readonly ResourcePlan[];
  /** Results of health checks (after apply, or plan --check-health). */
  readonly health?: readonly HealthResult[];
}

/** What apply runs for one resource, in order. */
export interface ResourceSteps {
  readonly state: ResourceState;
  readonly commands: readonly Command[];
}

export function planFromState(work: HostWork, state: HostState): { plan: HostPlan; steps: ResourceSteps[] } {
  const changed = new Set(state.resources.filter((s) => s.diff.status === 'change').map((s) => s.resource.address));
  const resources: ResourcePlan[] = [];
  const steps: ResourceSteps[] = [];
  for (const s of state.resources) {
    const r = s.resource;
    const by = (work.graph.notifiedBy.get(r.address) ?? []).filter((a) => changed.has(a));
    const refresh = by.length > 0 && r.module.refresh ? r.module.refresh(r.desired, s.current, s.diff) : null;
    const own: readonly Command[] = s.diff.status === 'change' ? r.module.apply(r.desired, s.current, s.diff as DiffResult & { status: 'change' }) : [];
    const commands = [...own, ...(refresh?.commands ?? [])];
    if (commands.length > 0) steps.push({ state: s, commands });
    resources.push({
      address: r.address,
      kind: r.module.kind,
      name: r.name,
      action: s.diff.status === 'change' ? s.diff.action : refresh ? 'refresh' : 'none',
      ...(s.diff.status === 'ok' ? { reason: s.diff.reason } : {}),
      changes: s.diff.status === 'change' ? s.diff.changes.map((c) => redactChange(c, r.sensitivePaths)) : [],
      ...(refresh ? { refresh: { reason: refresh.reason, by } } : {}),
      currentDigest: s.currentDigest,
      desiredDigest: r.desiredDigest,
    });
  }
  return { plan: { host: work.host.name, address: work.host.address, resources }, steps };
}

export function hasChanges(plan: HostPlan): boolean {
  return plan.resources.some((r) => r.action !== 'none');
}
