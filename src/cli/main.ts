#!/usr/bin/env node
/** The provision command line: validate, plan and apply. */
import { Command } from 'commander';
import { runApply, type ApplyOptions } from './commands/apply.ts';
import { runPlan, type PlanOptions } from './commands/plan.ts';
import { runUnlock } from './commands/unlock.ts';
import { runValidate } from './commands/validate.ts';
import { addFleetOptions, addRolloutOptions } from './fleet-options.ts';

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
    .option('--detailed-exitcode', 'exit 0 without changes, 2 with changes, 1 on errors'),
).action(async (playbook: string, opts: Omit<PlanOptions, 'playbook'>) => {
  process.exitCode = await runPlan({ playbook, ...opts });
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
