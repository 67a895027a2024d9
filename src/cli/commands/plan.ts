import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { planFleet } from '../../engine/fleet.ts';
import { planDocument } from '../../engine/plan-document.ts';
import { hasChanges } from '../../engine/plan.ts';
import { withProgress } from '../progress.ts';
import { renderHostPlan, renderSummary } from '../render-plan.ts';
import { defaultTransport, loadOrReport, styleFor } from './shared.ts';

export interface PlanOptions {
  playbook: string;
  inventory?: string;
  limit?: string;
  json?: boolean;
  out?: string;
  detailedExitcode?: boolean;
  checkHealth?: boolean;
  forks: number;
}

export async function runPlan(opts: PlanOptions): Promise<number> {
  const config = loadOrReport(opts);
  if (!config) return 1;
  const hosts = config.hosts.map((h) => h.host.name);
  const mode = process.stderr.isTTY && !opts.json ? 'live' : 'off';
  const outcomes = await withProgress(hosts, mode, 'plan', (onEvent) => planFleet(config, { forks: opts.forks, transportFor: defaultTransport, onEvent, checkHealth: opts.checkHealth === true }));
  const doc = planDocument(outcomes, {
    playbook: config.playbookFile,
    inventory: opts.inventory ? resolve(opts.inventory) : null,
    limit: opts.limit ?? null,
  });
  if (opts.out) writeFileSync(opts.out, JSON.stringify(doc, null, 2) + '\n');
  if (opts.json) {
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  } else {
    const s = styleFor(process.stdout);
    const lines = doc.hosts.flatMap((h) => [...renderHostPlan(h, s), '']);
    lines.push(renderSummary(doc.summary, doc.hosts, 'Plan', s));
    if (opts.out) lines.push(`Saved the plan to ${opts.out}; apply it with: provision apply ${opts.out}`);
    console.log(lines.join('\n'));
  }
  if (doc.summary.hosts_failed > 0) return 1;
  return opts.detailedExitcode && doc.hosts.some(hasChanges) ? 2 : 0;
}
