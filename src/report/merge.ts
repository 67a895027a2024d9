/**
 * `provision report merge`: shard reports joined into the report one unsharded run would have
 * written (hosts are sorted by name in every report, so the join is exact). Reports of different
 * playbooks, inventories, limits or shard counts, and overlapping hosts, are refused.
 */
import { assembleReport, type DriftReport, type ReportShard } from './drift-report.ts';

export class MergeError extends Error {
  override name = 'MergeError';
}

export interface NamedReport {
  readonly file: string;
  readonly report: DriftReport;
}

function sameField(reports: readonly NamedReport[], field: 'playbook' | 'inventory' | 'limit', hint: string): void {
  const first = reports[0];
  if (!first) return;
  const other = reports.find((r) => r.report[field] !== first.report[field]);
  if (other) {
    throw new MergeError(`cannot merge: ${first.file} is for ${field} ${JSON.stringify(first.report[field])} but ${other.file} is for ${JSON.stringify(other.report[field])}; ${hint}`);
  }
}

/** The shard indexes each report covers, and the shard count they share. */
function shardsOf(reports: readonly NamedReport[]): ReportShard {
  const counts = new Set<number>();
  const indexes: number[] = [];
  for (const { file, report } of reports) {
    const s = report.shard;
    if (!s) {
      if (reports.length > 1) throw new MergeError(`cannot merge: ${file} is an unsharded report of the whole fleet; merge only reports written with --shard K/N`);
      return null;
    }
    counts.add(s.count);
    const mine = 'index' in s ? [s.index] : s.merged;
    const dup = mine.find((i) => indexes.includes(i));
    if (dup !== undefined) throw new MergeError(`cannot merge: shard ${dup}/${s.count} appears twice (again in ${file}); pass each shard's report once`);
    indexes.push(...mine);
  }
  if (counts.size > 1) throw new MergeError(`cannot merge: the reports split the fleet into different shard counts (${[...counts].join(' and ')}); run every shard with the same N in --shard K/N`);
  return { count: [...counts][0] ?? 1, merged: indexes.sort((a, b) => a - b) };
}

export function mergeReports(reports: readonly NamedReport[], now?: Date): { report: DriftReport; missing: number[] } {
  const first = reports[0];
  if (!first) throw new MergeError('name at least one drift report to merge');
  sameField(reports, 'playbook', 'each report must come from the same playbook');
  sameField(reports, 'inventory', 'each report must come from the same inventory');
  sameField(reports, 'limit', 'run every shard with the same --limit');
  const shard = shardsOf(reports);
  const owner = new Map<string, string>();
  for (const { file, report } of reports) {
    for (const h of report.hosts) {
      const prior = owner.get(h.name);
      if (prior !== undefined) throw new MergeError(`cannot merge: host ${h.name} is in both ${prior} and ${file}; shards must not overlap (were they run with different inventories or the same K?)`);
      owner.set(h.name, file);
    }
  }
  const hosts = reports.flatMap((r) => r.report.hosts);
  const report = assembleReport({ playbook: first.report.playbook, inventory: first.report.inventory, limit: first.report.limit, shard }, hosts, now);
  const missing = shard && 'merged' in shard ? Array.from({ length: shard.count }, (_, i) => i + 1).filter((i) => !shard.merged.includes(i)) : [];
  return { report, missing };
}
