/** The options `plan`, `drift` and `report merge` share: --report FORMAT=FILE and --shard K/N. */
import { InvalidArgumentError } from 'commander';
import type { Configuration } from '../../config/playbook.ts';
import type { DriftReport } from '../../report/drift-report.ts';
import { parseReportTarget, writeReports, type ReportTarget } from '../../report/report-targets.ts';
import { inShard, parseShard, type Shard } from '../../report/shard.ts';

/** commander parser for a repeatable --report. */
export function collectReport(value: string, previous: ReportTarget[] = []): ReportTarget[] {
  try {
    return [...previous, parseReportTarget(value)];
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

/** commander parser for --shard. */
export function shardOption(value: string): Shard {
  try {
    return parseShard(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

export function selectShard(config: Configuration, shard: Shard | undefined): Configuration {
  return shard ? { ...config, hosts: config.hosts.filter((w) => inShard(w.host.name, shard)) } : config;
}

/** Writes the reports; prints a line per problem. Returns whether every report was written. */
export function writeReportsOrSay(targets: readonly ReportTarget[], report: DriftReport): boolean {
  const problems = writeReports(targets, report);
  for (const p of problems) console.error(`provision: ${p}`);
  return problems.length === 0;
}
