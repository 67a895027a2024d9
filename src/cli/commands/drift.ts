/**
 * `provision drift`: a plan read as a verdict for scheduled jobs. Exit 0 no drift, 2 drift, 1 an
 * error (a host that could not be planned, or a report that could not be written). Writes the
 * requested reports; --shard plans one stable slice of the fleet.
 */
import { resolve } from 'node:path';
import { planFleet } from '../../engine/fleet.ts';
import { driftReport, exitCodeFor } from '../../report/drift-report.ts';
import type { ReportTarget } from '../../report/report-targets.ts';
import type { Shard } from '../../report/shard.ts';
import { fleetOptionsOf, type FleetFlags } from '../fleet-options.ts';
import { INTERRUPTED_EXIT, interruptOnCtrlC } from '../interrupt.ts';
import { withProgress } from '../progress.ts';
import { renderDriftSummary } from '../render-drift.ts';
import { selectShard, writeReportsOrSay } from './report-options.ts';
import { defaultTransport, loadOrReport, styleFor } from './shared.ts';

export interface DriftOptions extends FleetFlags {
  playbook: string;
  inventory?: string;
  limit?: string;
  report: readonly ReportTarget[];
  shard?: Shard;
}

export async function runDrift(opts: DriftOptions): Promise<number> {
  const loaded = loadOrReport(opts);
  if (!loaded) return 1;
  const config = selectShard(loaded, opts.shard);
  const hosts = config.hosts.map((h) => h.host.name);
  const interrupt = interruptOnCtrlC();
  const outcomes = await withProgress(hosts, process.stderr.isTTY ? 'live' : 'off', 'plan', (onEvent) =>
    planFleet(config, { ...fleetOptionsOf(opts), transportFor: defaultTransport, onEvent, stop: interrupt.signal, prune: opts.prune === true }),
  ).finally(() => interrupt.dispose());
  const report = driftReport(
    outcomes.map((o) => o.plan),
    { playbook: config.playbookFile, inventory: opts.inventory ? resolve(opts.inventory) : null, limit: opts.limit ?? null, shard: opts.shard ?? null },
  );
  console.log(renderDriftSummary(report, styleFor(process.stdout)));
  // An interrupted run writes no report: a partial one would read as a whole fleet's state.
  if (interrupt.signal.aborted) return INTERRUPTED_EXIT;
  const written = writeReportsOrSay(opts.report, report);
  return written ? exitCodeFor(report) : 1;
}
