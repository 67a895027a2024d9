/**
 * The plan as stable, documented JSON (schemas/plan.schema.json): printed by `plan --json`,
 * saved by `plan --out` and read back by `apply FILE`. It never holds secret values.
 */
import { readJsonDocument } from '../config/json-document.ts';
import { digest } from '../core/json.ts';
import type { HostOutcome } from './fleet.ts';
import type { HostPlan, PlanAction } from './plan.ts';

export const PLAN_FORMAT_VERSION = 1;

export interface PlanSummary {
  readonly hosts: number;
  readonly hosts_failed: number;
  readonly create: number;
  readonly update: number;
  readonly delete: number;
  readonly refresh: number;
  readonly unchanged: number;
  readonly orphans: number;
  readonly hosts_interrupted: number;
  readonly hosts_not_attempted: number;
}

export interface PlanDocument {
  readonly format_version: number;
  readonly created_at: string;
  readonly playbook: string;
  readonly inventory: string | null;
  readonly limit: string | null;
  readonly prune?: boolean;
  readonly hosts: readonly HostPlan[];
  readonly summary: PlanSummary;
}

export function summarise(plans: readonly HostPlan[]): PlanSummary {
  const count = (a: PlanAction, orphan = false): number => plans.reduce((n, p) => n + p.resources.filter((r) => r.action === a && (r.orphan !== undefined) === orphan).length, 0);
  return {
    hosts: plans.length,
    hosts_failed: plans.filter((p) => p.error && p.error.phase !== 'interrupted').length,
    create: count('create'),
    update: count('update'),
    delete: count('delete') + count('delete', true),
    refresh: count('refresh'),
    unchanged: count('none'),
    orphans: count('none', true),
    hosts_interrupted: plans.filter((p) => p.error?.phase === 'interrupted').length,
    hosts_not_attempted: plans.filter((p) => p.not_attempted).length,
  };
}

export function planDocument(outcomes: readonly HostOutcome[], meta: { playbook: string; inventory: string | null; limit: string | null; prune?: boolean }): PlanDocument {
  const hosts = outcomes.map((o) => o.plan);
  return { format_version: PLAN_FORMAT_VERSION, created_at: new Date().toISOString(), ...meta, hosts, summary: summarise(hosts) };
}

export class PlanFileError extends Error {
  override name = 'PlanFileError';
}

export function readPlanDocument(file: string): PlanDocument {
  return readJsonDocument(file, { schema: 'plan.schema.json', what: 'plan', version: PLAN_FORMAT_VERSION, fail: (m) => new PlanFileError(m) }) as PlanDocument;
}

/** A short fingerprint shown with the plan, so an operator can tell two plans apart. */
export function planFingerprint(doc: PlanDocument): string {
  return digest(doc.hosts).slice(0, 12);
}
