/** Terraform-like text rendering of plans and apply results. */
import type { JsonValue } from '../core/types.ts';
import type { PlanSummary } from '../engine/plan-document.ts';
import type { HostPlan, ResourcePlan } from '../engine/plan.ts';
import type { PlannedChange } from '../engine/redact.ts';
import { unifiedLineDiff } from './text-diff.ts';

export interface Style {
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  cyan(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const ansi = (code: number) => (s: string) => `\u001b[${code}m${s}\u001b[0m`;
export const colour: Style = { green: ansi(32), yellow: ansi(33), red: ansi(31), cyan: ansi(36), bold: ansi(1), dim: ansi(2) };
const id = (s: string): string => s;
export const plain: Style = { green: id, yellow: id, red: id, cyan: id, bold: id, dim: id };

function value(v: JsonValue | undefined): string {
  if (v === undefined) return '(absent)';
  return JSON.stringify(v);
}

function isMultiline(v: JsonValue | undefined): v is string {
  return typeof v === 'string' && v.includes('\n');
}

function changeLines(c: PlannedChange, action: ResourcePlan['action'], s: Style): string[] {
  const pad = '      ';
  if (!c.sensitive && (isMultiline(c.before) || isMultiline(c.after))) {
    const lines = unifiedLineDiff(typeof c.before === 'string' ? c.before : '', typeof c.after === 'string' ? c.after : '');
    return [`${pad}${c.attribute}:`, ...lines.map((l) => `${pad}  ${l.startsWith('+') ? s.green(l) : l.startsWith('-') ? s.red(l) : s.dim(l)}`)];
  }
  if (action === 'create') return [`${pad}${c.attribute}: ${value(c.after)}`];
  if (action === 'delete') return [`${pad}${c.attribute}: ${value(c.before)}`];
  return [`${pad}${c.attribute}: ${value(c.before)} -> ${value(c.after)}`];
}

const SYMBOL = { create: '+', update: '~', delete: '-', refresh: '~', none: ' ' } as const;

/** Health check results: failures with their evidence, passes counted. */
export function renderHealth(plan: HostPlan, s: Style): string[] {
  const results = plan.health ?? [];
  if (results.length === 0) return [];
  const lines: string[] = [];
  for (const r of results.filter((x) => !x.ok)) {
    const [first = '', ...rest] = r.evidence.split('\n');
    lines.push(`  ${s.red('✗ health')} ${r.resource} ${r.check}: ${r.target}`, `      ${first}${r.attempts > 1 ? s.dim(` (${r.attempts} attempts)`) : ''}`, ...rest.map((l) => `        ${l}`));
  }
  const passed = results.filter((x) => x.ok).length;
  if (passed > 0) lines.push(`  ${s.green('✓ health')} ${passed} of ${results.length} check${results.length === 1 ? '' : 's'} passed`);
  return lines;
}

export function renderHostPlan(plan: HostPlan, s: Style): string[] {
  const lines = [s.bold(`host ${plan.host}${plan.address !== plan.host ? ` (${plan.address})` : ''}`)];
  if (plan.not_attempted) {
    lines.push(`  ${s.yellow('not attempted')}: ${plan.not_attempted.reason}`);
    return lines;
  }
  lines.push(...renderHealth(plan, s));
  if (plan.error) {
    lines.push(`  ${s.red('! error')}${plan.error.phase ? ` (${plan.error.phase})` : ''}${plan.error.resource ? ` in ${plan.error.resource}` : ''}: ${plan.error.message}`);
    if (plan.error.hint) lines.push(`    hint: ${plan.error.hint}`);
    return lines;
  }
  let unchanged = 0;
  for (const r of plan.resources) {
    if (r.action === 'none' && r.orphan) {
      lines.push(`  ${s.yellow('?')} ${r.address}  ${s.dim(`(${r.reason ?? 'orphan'})`)}`);
      continue;
    }
    if (r.action === 'none') {
      unchanged++;
      continue;
    }
    const colourOf = r.action === 'create' ? s.green : r.action === 'delete' ? s.red : s.yellow;
    const label = r.orphan ? `${r.action} orphan: no longer in the playbook` : r.refresh?.pending_since && r.action === 'refresh' ? `refresh (${r.refresh.reason})` : r.action;
    lines.push(`  ${colourOf(SYMBOL[r.action])} ${r.address}  ${s.dim(`(${label})`)}`);
    for (const c of r.changes) lines.push(...changeLines(c, r.action, s));
    if (r.refresh) lines.push(`      ${s.cyan(`${r.refresh.reason} (by ${r.refresh.by.join(', ')})`)}`);
  }
  if (unchanged > 0) lines.push(s.dim(`  ${unchanged} unchanged`));
  return lines;
}

export function renderSummary(summary: PlanSummary, plans: readonly HostPlan[], verb: 'Plan' | 'Applied', s: Style): string {
  const parts = [`${summary.create} to create`, `${summary.update} to update`, `${summary.delete} to delete`];
  if (summary.refresh > 0) parts.push(`${summary.refresh} to refresh`);
  parts.push(`${summary.unchanged} unchanged`);
  if (summary.orphans > 0) parts.push(`${summary.orphans} orphan${summary.orphans === 1 ? '' : 's'} kept`);
  const text = verb === 'Plan' ? parts.join(', ') : parts.map((p) => p.replace(' to ', ' ').replace('create', 'created').replace('update', 'updated').replace('delete', 'deleted').replace('refresh', 'refreshed')).join(', ');
  const failed = plans.filter((p) => p.error && p.error.phase !== 'interrupted');
  const interrupted = plans.filter((p) => p.error?.phase === 'interrupted');
  const skipped = plans.filter((p) => p.not_attempted);
  const hosts = (n: number): string => `${n} ${n === 1 ? 'host' : 'hosts'}`;
  const done = summary.hosts - failed.length - interrupted.length - skipped.length;
  let line = `${s.bold(`${verb}:`)} ${text} on ${done} of ${hosts(summary.hosts)}.`;
  if (failed.length > 0) {
    line += `\n${s.red(`${hosts(failed.length)} failed:`)}`;
    for (const f of failed) {
      const message = f.error?.message ?? '';
      const who = `${f.host}${f.error?.resource ? ` (${f.error.resource})` : ''}`;
      // Transport errors already start with the host's name.
      const named = message.startsWith(`${f.host} `) || message.startsWith(`${f.host}:`);
      line += `\n  ${named ? message : `${who}: ${message}`}`;
    }
  }
  if (interrupted.length > 0) {
    line += `\n${s.yellow(`${hosts(interrupted.length)} interrupted:`)}`;
    for (const h of interrupted) line += `\n  ${h.host}: ${h.error?.message ?? ''}`;
  }
  if (skipped.length > 0) {
    line += `\n${s.yellow(`${hosts(skipped.length)} not attempted: ${skipped.map((h) => h.host).join(', ')}`)}`;
    for (const reason of new Set(skipped.map((h) => h.not_attempted?.reason ?? ''))) line += `\n  (${reason.replace(/^not attempted: /, '')})`;
  }
  return line;
}
