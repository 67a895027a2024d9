#!/usr/bin/env node
/** The provision command line: validate, plan and apply. */
import { Command, InvalidArgumentError } from 'commander';
import { runApply } from './commands/apply.ts';
import { runPlan } from './commands/plan.ts';
import { runValidate } from './commands/validate.ts';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

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
  .option('-f, --forks <n>', 'hosts worked on at once', positiveInt, 25)
  .action(async (playbook: string, opts: { inventory?: string; limit?: string; json?: boolean; out?: string; detailedExitcode?: boolean; checkHealth?: boolean; forks: number }) => {
    process.exitCode = await runPlan({ playbook, ...opts });
  });

program
  .command('apply')
  .description('converge hosts: plan, confirm, apply, verify (or apply a saved plan file)')
  .argument('<playbook-or-plan>', 'playbook YAML file, or a plan saved with plan --out')
  .option('-i, --inventory <file>', 'inventory YAML file (default: localhost; ignored for a saved plan)')
  .option('-l, --limit <pattern>', 'only these hosts or groups')
  .option('-y, --yes', 'do not ask for confirmation')
  .option('-f, --forks <n>', 'hosts worked on at once', positiveInt, 25)
  .action(async (target: string, opts: { inventory?: string; limit?: string; yes?: boolean; forks: number }) => {
    process.exitCode = await runApply({ target, ...opts });
  });

program.parseAsync().catch((e: unknown) => {
  console.error(`provision: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
