/** The first Ctrl-C asks the run to stop starting things (the engine's stop signal) instead of killing the process. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { interruptOnCtrlC } from '../../src/cli/interrupt.ts';

test('the first SIGINT aborts the stop signal and says what happens next; dispose removes the handler', () => {
  const before = process.listenerCount('SIGINT');
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
  const interrupt = interruptOnCtrlC();
  try {
    assert.equal(interrupt.signal.aborted, false);
    process.emit('SIGINT', 'SIGINT');
    assert.equal(interrupt.signal.aborted, true);
    assert.match(written.join(''), /each host finishes the step in flight; nothing new starts\. Press Ctrl-C again to abort at once\./);
  } finally {
    process.stderr.write = write;
    interrupt.dispose();
  }
  assert.equal(process.listenerCount('SIGINT'), before);
});
