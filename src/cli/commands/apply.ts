import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { applyFleet, planFleet, type HostOutcome } from '../../engine/fleet.ts';
import { planDocument, PlanFileError, readPlanDocument, summarise } from '../../engine/plan-document.ts';
import { hasChanges, type HostPlan } from '../../engine/plan.ts';
import { fleetOptionsOf, type FleetFlags, type RolloutFlags } from '../fleet-options.ts';
import { INTERRUPTED_EXIT, interruptOnCtrlC } from '../interrupt.ts';
import { withProgress } from '../progress.ts';
import { renderHealth, renderHostPlan, renderSummary } from '../render-plan.ts';
import { defaultTransport, loadOrReport, styleFor } from './shared.ts';

export interface ApplyOptions extends FleetFlags, RolloutFlags {
  target: string;
  inventory?: string;
  limit?: string;
  yes?: boolean;
  json?: boolean;
}

function looksLikePlanFile(path: string): boolean {
  return path.endsWith('.json');
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim().toLowerCase() === 'yes';
  } finally {
    rl.close();
  }
}

export async function runApply(opts: ApplyOptions): Promise<number> {
  const s = styleFor(process.stdout);
  const progress = process.stderr.isTTY ? 'live' : 'lines';
  // With --json, stdout carries the JSON alone; what people read goes to stderr.
  const say = opts.json ? (text: string) => console.error(text) : (text: string) => console.log(text);
  let expected: Map<string, HostPlan>;
  let config;
  let prune = opts.prune === true;
  if (looksLikePlanFile(opts.target)) {
    let doc;
    try {
      doc = readPlanDocument(opts.target);
    } catch (e) {
      if (e instanceof PlanFileError) {
        console.error(`provision: ${e.message}`);
        return 1;
      }
      throw e;
    }
    config = loadOrReport({ playbook: doc.playbook, inventory: doc.inventory ?? undefined, limit: doc.limit ?? undefined });
    if (!config) return 1;
    expected = new Map(doc.hosts.map((h) => [h.host, h]));
    // Apply exactly what was reviewed: orphans are deleted when the plan was made with --prune.
    prune = doc.prune === true;
    say(`Applying the saved plan ${opts.target} (made ${doc.created_at}).`);
  } else {
    if (opts.json && !opts.yes) {
      console.error('provision: apply --json prints only JSON, so it cannot ask for confirmation: pass --yes, or apply a plan saved with plan --out.');
      return 1;
    }
    config = loadOrReport({ playbook: opts.target, inventory: opts.inventory, limit: opts.limit });
    if (!config) return 1;
    const current = config;
    const planInterrupt = interruptOnCtrlC();
    const planned = await withProgress(current.hosts.map((h) => h.host.name), process.stderr.isTTY ? 'live' : 'off', 'plan', (onEvent) =>
      planFleet(current, { ...fleetOptionsOf(opts), transportFor: defaultTransport, onEvent, stop: planInterrupt.signal, prune }),
    ).finally(() => planInterrupt.dispose());
    const doc = planDocument(planned, { playbook: config.playbookFile, inventory: opts.inventory ?? null, limit: opts.limit ?? null });
    if (!opts.json) console.log([...doc.hosts.flatMap((h) => [...renderHostPlan(h, s), '']), renderSummary(doc.summary, doc.hosts, 'Plan', s)].join('\n'));
    if (planInterrupt.signal.aborted) {
      console.error('Interrupted while planning: nothing was changed.');
      return INTERRUPTED_EXIT;
    }
    if (!doc.hosts.some(hasChanges)) {
      if (opts.json) process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
      else console.log('No changes. Nothing to apply.');
      return doc.summary.hosts_failed > 0 ? 1 : 0;
    }
    if (!opts.yes) {
      if (!process.stdin.isTTY) {
        console.error('provision: refusing to apply without confirmation: standard input is not a terminal. Review the plan and pass --yes, or save it with plan --out and apply the file.');
        return 1;
      }
      if (!(await confirm('\nApply these changes? Only "yes" is accepted: '))) {
        console.error('Apply cancelled; nothing was changed.');
        return 1;
      }
    }
    // Hosts that could not be planned are not applied; the rest must still match what was shown.
    expected = new Map(doc.hosts.map((h) => [h.host, h]));
  }
  const work = config;
  const interrupt = interruptOnCtrlC();
  const outcomes: HostOutcome[] = await withProgress(work.hosts.map((h) => h.host.name), progress, 'apply', (onEvent) =>
    applyFleet(work, {
      ...fleetOptionsOf(opts),
      transportFor: defaultTransport,
      onEvent,
      expected,
      prune,
      stop: interrupt.signal,
      ...(opts.serial ? { serial: opts.serial } : {}),
      ...(opts.maxFailPercent !== undefined ? { maxFailPercent: opts.maxFailPercent } : {}),
    }),
  ).finally(() => interrupt.dispose());
  const plans = outcomes.map((o) => o.plan);
  if (opts.json) {
    const doc = planDocument(outcomes, { playbook: work.playbookFile, inventory: opts.inventory ? resolve(opts.inventory) : null, limit: opts.limit ?? null, ...(prune ? { prune: true } : {}) });
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  }
  const lines: string[] = [''];
  for (const o of outcomes) {
    if (o.plan.error) lines.push(...renderHostPlan(o.plan, s), '');
    else if (o.applied && o.applied.length > 0) lines.push(`${s.bold(`host ${o.plan.host}`)}: ${o.applied.length} resource(s) changed and verified: ${o.applied.join(', ')}`, ...renderHealth(o.plan, s));
    else if (o.plan.health) lines.push(`${s.bold(`host ${o.plan.host}`)}: no changes`, ...renderHealth(o.plan, s));
  }
  lines.push(renderSummary(summarise(plans), plans, 'Applied', s));
  say(lines.join('\n'));
  if (interrupt.signal.aborted) return INTERRUPTED_EXIT;
  return plans.some((p) => p.error || p.not_attempted) ? 1 : 0;
}
