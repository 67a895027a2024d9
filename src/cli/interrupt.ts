/**
 * Ctrl-C during plan or apply: the first one asks the engine to stop starting anything new
 * (each host finishes its step in flight, then an honest summary is printed and the command exits
 * 130); a second one aborts at once.
 */
export const INTERRUPTED_EXIT = 130;

export interface Interrupt {
  readonly signal: AbortSignal;
  dispose(): void;
}

export function interruptOnCtrlC(): Interrupt {
  const controller = new AbortController();
  const onSigint = (): void => {
    if (!controller.signal.aborted) {
      process.stderr.write('\nInterrupted: each host finishes the step in flight; nothing new starts. Press Ctrl-C again to abort at once.\n');
      controller.abort();
      return;
    }
    process.stderr.write('\nAborted: hosts in flight may be left mid-step (and locked: see provision unlock).\n');
    process.exit(INTERRUPTED_EXIT);
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}
