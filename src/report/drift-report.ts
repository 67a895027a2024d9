/**
 * The drift report (schemas/drift-report.schema.json): a plan seen as "is the fleet what the
 * playbook says?". Every plan action other than "none" is drift and every host error is an
 * error, whatever the action or phase is called, so actions the plan learns later (orphan
 * deletes, pending restarts) show up here without changes.
 */
import type { JsonValue } from '../core/types.ts';
import type { HostPlan, ResourcePlan } from '../engine/plan.ts';
import type { PlannedChange } from '../engine/redact.ts';
import type { Shard } from './shard.ts';

export const DRIFT_REPORT_FORMAT_VERSION = 1;

export type HostStatus = 'ok' | 'drift' | 'error';

export interface ReportChange {
  readonly attribute: string;
  readonly before?: JsonValue;
  readonly after?: JsonValue;
  readonly sensitive?: true;
}

export interface ReportResource {
  readonly address: string;
  readonly kind: string;
  readonly name: string;
  readonly status: 'in_sync' | 'drift';
  readonly action: string;
  readonly changes: readonly ReportChange[];
  readonly reason: string | null;
}

export interface ReportHostError {
  readonly message: string;
  readonly hint: string | null;
  readonly phase: string | null;
  readonly resource: string | null;
}

export interface ReportHost {
  readonly name: string;
  readonly address: string;
  readonly status: HostStatus;
  readonly error: ReportHostError | null;
  readonly resources: readonly ReportResource[];
}

/** null: the whole fleet; a shard; or the shard indexes `report merge` joined. */
export type ReportShard = null | Shard | { readonly count: number; readonly merged: readonly number[] };

export interface DriftSummary {
  readonly hosts: number;
  readonly hosts_ok: number;
  readonly hosts_drift: number;
  readonly hosts_error: number;
  readonly resources: number;
  readonly resources_drift: number;
}

export interface DriftReport {
  readonly format_version: number;
  readonly generated_at: string;
  readonly playbook: string;
  readonly inventory: string | null;
  readonly limit: string | null;
  readonly shard: ReportShard;
  readonly status: HostStatus;
  readonly summary: DriftSummary;
  readonly hosts: readonly ReportHost[];
}

export interface ReportMeta {
  readonly playbook: string;
  readonly inventory: string | null;
  readonly limit: string | null;
  readonly shard: ReportShard;
}

function reportChange(c: PlannedChange): ReportChange {
  return {
    attribute: c.attribute,
    ...(c.before === undefined ? {} : { before: c.before }),
    ...(c.after === undefined ? {} : { after: c.after }),
    ...(c.sensitive ? { sensitive: true as const } : {}),
  };
}

function reportResource(r: ResourcePlan): ReportResource {
  return {
    address: r.address,
    kind: r.kind,
    name: r.name,
    status: r.action === 'none' ? 'in_sync' : 'drift',
    action: r.action,
    changes: r.changes.map(reportChange),
    reason: r.reason ?? r.refresh?.reason ?? null,
  };
}

export function reportHost(plan: HostPlan): ReportHost {
  const resources = plan.resources.map(reportResource);
  const e = plan.error;
  return {
    name: plan.host,
    address: plan.address,
    status: e ? 'error' : resources.some((r) => r.status === 'drift') ? 'drift' : 'ok',
    error: e ? { message: e.message, hint: e.hint ?? null, phase: e.phase ?? null, resource: e.resource ?? null } : null,
    resources,
  };
}

// Numeric-aware and locale-independent, so web2 sorts before web10 on every runner.
const collator = new Intl.Collator('en', { numeric: true });

export function sortHosts(hosts: readonly ReportHost[]): ReportHost[] {
  return [...hosts].sort((a, b) => collator.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function summariseHosts(hosts: readonly ReportHost[]): DriftSummary {
  const count = (s: HostStatus): number => hosts.filter((h) => h.status === s).length;
  return {
    hosts: hosts.length,
    hosts_ok: count('ok'),
    hosts_drift: count('drift'),
    hosts_error: count('error'),
    resources: hosts.reduce((n, h) => n + h.resources.length, 0),
    resources_drift: hosts.reduce((n, h) => n + h.resources.filter((r) => r.status === 'drift').length, 0),
  };
}

export function fleetStatus(summary: DriftSummary): HostStatus {
  return summary.hosts_error > 0 ? 'error' : summary.hosts_drift > 0 ? 'drift' : 'ok';
}

/** Assembles a report from hosts already in report form (a plan's, or several shards'). */
export function assembleReport(meta: ReportMeta, hosts: readonly ReportHost[], now: Date = new Date()): DriftReport {
  const sorted = sortHosts(hosts);
  const summary = summariseHosts(sorted);
  return { format_version: DRIFT_REPORT_FORMAT_VERSION, generated_at: now.toISOString(), ...meta, status: fleetStatus(summary), summary, hosts: sorted };
}

export function driftReport(plans: readonly HostPlan[], meta: ReportMeta, now?: Date): DriftReport {
  return assembleReport(meta, plans.map(reportHost), now);
}

/** The exit code of drift detection: 0 in sync, 2 drift, 1 any host failed. */
export function exitCodeFor(report: DriftReport): number {
  return { ok: 0, drift: 2, error: 1 }[report.status];
}
