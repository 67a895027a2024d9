/**
 * Per-host progress with listr2: a live view on a terminal, plain lines otherwise. The engine
 * runs on its own; listr2 only observes its events, so tests and the benchmark need no UI.
 */
import type { ListrTask } from 'listr2';
import type { HostEvent, HostOutcome } from '../engine/fleet.ts';

export type ProgressMode = 'live' | 'lines' | 'off';

interface Deferred {
  promise: Promise<HostOutcome>;
  resolve(o: HostOutcome): void;
  update?: (text: string) => void;
}

function deferred(): Deferred {
  let resolve!: (o: HostOutcome) => void;
  const promise = new Promise<HostOutcome>((r) => (resolve = r));
  return { promise, resolve };
}

function describe(o: HostOutcome, verb: 'plan' | 'apply'): string {
  if (o.plan.not_attempted) return 'not attempted';
  if (o.plan.error) return o.plan.error.message;
  const n = o.plan.resources.filter((r) => r.action !== 'none').length;
  if (verb === 'apply') return n === 0 ? 'no changes' : `${o.applied?.length ?? 0} resource(s) changed`;
  return n === 0 ? 'no changes' : `${n} change(s) planned`;
}

/** Runs `work` while showing one progress line per host; returns its result. */
export async function withProgress<T>(
  hosts: readonly string[],
  mode: ProgressMode,
  verb: 'plan' | 'apply',
  work: (onEvent: (e: HostEvent) => void) => Promise<T>,
): Promise<T> {
  if (mode === 'off' || hosts.length === 0) return work(() => {});
  // Loaded only when progress is shown: `plan --json` in a drift job never pays for it.
  const { Listr, ListrLogger, ProcessOutput } = await import('listr2');
  const waits = new Map(hosts.map((h) => [h, deferred()]));
  const tasks: ListrTask[] = hosts.map((h) => ({
    title: h,
    task: async (_ctx, task) => {
      const d = waits.get(h) as Deferred;
      d.update = (text) => (task.output = text);
      const outcome = await d.promise;
      if (outcome.plan.error) throw new Error(`${h}: ${describe(outcome, verb)}`);
      task.title = `${h}: ${describe(outcome, verb)}`;
    },
  }));
  const listr = new Listr(tasks, {
    concurrent: true,
    exitOnError: false,
    renderer: mode === 'live' ? 'default' : 'simple',
    // Ctrl-C belongs to the command (finish the step in flight, then summarise), not to listr2.
    registerSignalListeners: false,
    // Progress is for people: stdout stays the plan (or JSON) alone.
    rendererOptions: { collapseErrors: false, logger: new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) }) },
  });
  const onEvent = (e: HostEvent): void => {
    const d = waits.get(e.host);
    if (!d) return;
    if (e.type === 'done') d.resolve(e.outcome);
    else if (e.type === 'retrying') d.update?.(`retry ${e.retry} in ${e.waitMs / 1000} s: ${e.message}`);
    else d.update?.(e.type === 'applying' ? `applying ${e.resources} resource(s)` : e.type);
  };
  const shown = listr.run().catch(() => {});
  try {
    return await work(onEvent);
  } finally {
    await shown;
  }
}
