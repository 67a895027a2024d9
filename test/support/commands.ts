/** Narrowing for tests of Linux modules: their commands are POSIX commands, never PowerShell. */
import assert from 'node:assert/strict';
import { isPowerShell, type Command, type HostCommand } from '../../src/core/types.ts';

export function asShell(c: HostCommand | undefined): Command {
  assert.ok(c && !isPowerShell(c), `expected a POSIX command, got ${JSON.stringify(c)}`);
  return c;
}

export function asShellAll(cs: readonly HostCommand[]): Command[] {
  return cs.map(asShell);
}
