import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { planFleet } from '../../engine/fleet.ts';
import { planDocument } from '../../engine/plan-document.ts';
import { hasChanges } from '../../engine/plan.ts';
import { driftReport } from '../../report/drift-report.ts';
import type { ReportTarget } from '../../report/report-targets.ts';
import type { Shard } from '../../report/shard.ts';
import { fleetOptionsOf, type FleetFlags } from '../fleet-options.ts';
import { INTERRUPTED_EXIT, interruptOnCtrlC } from '../interrupt.ts';
import { withProgress } from '../progress.ts';
import { renderHostPlan, renderSummary } from '../render-plan.ts';
import { selectShard, writeReportsOrSay } from './report-options.ts';
import { defaultTransport, loadOrReport, styleFor } from './shared.ts';

export interface PlanOptions extends FleetFlags {
  playbook: string;
  inventory?: string;
  limit?: string;
  json?: boolean;
  out?: string;
  detailedExitcode?: boolean;
  report?: readonly ReportTarget[];
  shard?: Shard;
  checkHealth?: boolean;
}

export async function runPlan(opts: PlanOptions): Promise<number> {
  const loaded = loadOrReport(opts);
  if (!loaded) return 1;
  const config = selectShard(loaded, opts.shard);
  const hosts = config.hosts.map((h) => h.host.name);
  const mode = process.stderr.isTTY && !opts.json ? 'live' : 'off';
  const interrupt = interruptOnCtrlC();
  const outcomes = await withProgress(hosts, mode, 'plan', (onEvent) =>
    planFleet(config, { ...fleetOptionsOf(opts), transportFor: defaultTransport, onEvent, stop: interrupt.signal, prune: opts.prune === true, checkHealth: opts.checkHealth === true }),
  ).finally(() => interrupt.dispose());
  const doc = planDocument(outcomes, {
    playbook: config.playbookFile,
    inventory: opts.inventory ? resolve(opts.inventory) : null,
    limit: opts.limit ?? null,
    ...(opts.prune ? { prune: true } : {}),
  });
  const wasInterrupted = interrupt.signal.aborted;
  // An interrupted plan is not a reviewable whole: it is shown, never saved.
  if (opts.out && !wasInterrupted) writeFileSync(opts.out, JSON.stringify(doc, null, 2) + '\n');
  if (opts.json) {
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  } else {
    const s = styleFor(process.stdout);
    const lines = doc.hosts.flatMap((h) => [...renderHostPlan(h, s), '']);
    lines.push(renderSummary(doc.summary, doc.hosts, 'Plan', s));
    if (opts.out) lines.push(wasInterrupted ? `The plan was interrupted: it was not saved to ${opts.out}.` : `Saved the plan to ${opts.out}; apply it with: provision apply ${opts.out}`);
    console.log(lines.join('\n'));
  }
  // An interrupted run writes no drift report: a partial one would read as a whole fleet's state.
  if (wasInterrupted) return INTERRUPTED_EXIT;
  const reported = writeReportsOrSay(opts.report ?? [], driftReport(doc.hosts, { playbook: doc.playbook, inventory: doc.inventory, limit: doc.limit, shard: opts.shard ?? null }));
  if (doc.summary.hosts_failed > 0 || !reported) return 1;
  return opts.detailedExitcode && doc.hosts.some(hasChanges) ? 2 : 0;
}
