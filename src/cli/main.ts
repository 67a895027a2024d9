#!/usr/bin/env node
/** The provision command line: validate, plan, drift, apply, unlock and report merge. */
import { Command } from 'commander';
import { REPORT_FORMATS, type ReportTarget } from '../report/report-targets.ts';
import { runApply, type ApplyOptions } from './commands/apply.ts';
import { runDrift, type DriftOptions } from './commands/drift.ts';
import { runPlan, type PlanOptions } from './commands/plan.ts';
import { collectReport, shardOption } from './commands/report-options.ts';
import { runReportMerge } from './commands/report-merge.ts';
import { runUnlock } from './commands/unlock.ts';
import { runValidate } from './commands/validate.ts';
import { addFleetOptions, addRolloutOptions } from './fleet-options.ts';

const REPORT_HELP = `write a drift report, repeatable: ${REPORT_FORMATS.map((f) => `${f}=FILE`).join(', ')}`;
const SHARD_HELP = 'only shard K of N: a stable slice of the selected hosts, by a hash of each name';

const program = new Command()
  .name('provision')
  .description('Declarative infrastructure as code: plan and apply service definitions on your hosts.')
  .version('0.1.0')
  .showHelpAfterError();

program
  .command('validate')
  .description('check a playbook and its inventory against the schemas without contacting any host')
  .argument('<playbook>', 'playbook YAML file')
  .option('-i, --inventory <file>', 'inventory YAML file (default: localhost)')
  .option('-l, --limit <pattern>', 'only these hosts or groups')
  .action(async (playbook: string, opts: { inventory?: string; limit?: string }) => {
    process.exitCode = await runValidate({ playbook, ...opts });
  });

addFleetOptions(
  program
    .command('plan')
    .description('read each host and show what apply would change (read-only)')
    .argument('<playbook>', 'playbook YAML file')
    .option('-i, --inventory <file>', 'inventory YAML file (default: localhost)')
    .option('-l, --limit <pattern>', 'only these hosts or groups')
    .option('--json', 'print the plan as JSON (schemas/plan.schema.json)')
    .option('-o, --out <file>', 'save the plan for `provision apply FILE`')
    .option('--detailed-exitcode', 'exit 0 without changes, 2 with changes, 1 on errors')
    .option('--check-health', 'also run the services\' health checks (read-only); a failed check is an error of its host')
    .option('--report <format=file>', REPORT_HELP, collectReport)
    .option('--shard <k/n>', SHARD_HELP, shardOption),
).action(async (playbook: string, opts: Omit<PlanOptions, 'playbook'>) => {
  process.exitCode = await runPlan({ playbook, ...opts });
});

addFleetOptions(
  program
    .command('drift')
    .description('plan read-only and report drift: exit 0 in sync, 2 drift, 1 errors (unreachable hosts are errors)')
    .argument('<playbook>', 'playbook YAML file')
    .option('-i, --inventory <file>', 'inventory YAML file (default: localhost)')
    .option('-l, --limit <pattern>', 'only these hosts or groups')
    .option('--report <format=file>', REPORT_HELP, collectReport)
    .option('--shard <k/n>', SHARD_HELP, shardOption),
).action(async (playbook: string, opts: Omit<DriftOptions, 'playbook' | 'report'> & { report?: ReportTarget[] }) => {
  process.exitCode = await runDrift({ playbook, ...opts, report: opts.report ?? [] });
});

program
  .command('report')
  .description('work with drift reports')
  .command('merge')
  .description('join the JSON reports of shards (--shard K/N) into one report')
  .argument('<reports...>', 'JSON drift reports (written with --report json=FILE)')
  .option('--report <format=file>', `${REPORT_HELP} (default: the merged JSON on stdout)`, collectReport)
  .option('--detailed-exitcode', 'exit with the merged verdict: 0 in sync, 2 drift, 1 errors')
  .action((files: string[], opts: { report?: ReportTarget[]; detailedExitcode?: boolean }) => {
    process.exitCode = runReportMerge({ files, ...opts, report: opts.report ?? [] });
  });

addRolloutOptions(
  addFleetOptions(
    program
      .command('apply')
      .description('converge hosts: plan, confirm, apply, verify (or apply a saved plan file)')
      .argument('<playbook-or-plan>', 'playbook YAML file, or a plan saved with plan --out')
      .option('-i, --inventory <file>', 'inventory YAML file (default: localhost; ignored for a saved plan)')
      .option('-l, --limit <pattern>', 'only these hosts or groups')
      .option('-y, --yes', 'do not ask for confirmation')
      .option('--json', 'print the result as JSON (schemas/plan.schema.json: each host as applied, failed or not attempted); needs --yes or a saved plan'),
  ),
).action(async (target: string, opts: Omit<ApplyOptions, 'target'>) => {
  process.exitCode = await runApply({ target, ...opts });
});

program
  .command('unlock')
  .description("remove the apply lock of hosts whose apply died (a crashed or killed controller); prints who held it")
  .argument('<hosts...>', 'inventory host names')
  .option('-i, --inventory <file>', 'inventory YAML file (default: localhost)')
  .action(async (hosts: string[], opts: { inventory?: string }) => {
    process.exitCode = await runUnlock({ hosts, ...opts });
  });

program.parseAsync().catch((e: unknown) => {
  console.error(`provision: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
