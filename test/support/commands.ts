/** Narrowing for tests of Linux modules: their commands are POSIX commands, never PowerShell. */
import assert from 'node:assert/strict';
import { isPowerShell, type Command, type CommandResult, type HostCommand } from '../../src/core/types.ts';
import { buildBatchScript, newNonce, parseBatchOutput } from '../../src/engine/remote-script.ts';
import type { Transport } from '../../src/transport/transport.ts';

export function asShell(c: HostCommand | undefined): Command {
  assert.ok(c && !isPowerShell(c), `expected a POSIX command, got ${JSON.stringify(c)}`);
  return c;
}

export function asShellAll(cs: readonly HostCommand[]): Command[] {
  return cs.map(asShell);
}

/** Run POSIX commands as one apply batch through a transport; the results of the steps that ran, in order. */
export async function runAsBatch(transport: Transport, commands: readonly HostCommand[]): Promise<CommandResult[]> {
  const nonce = newNonce();
  const script = buildBatchScript(asShellAll(commands).map((command, i) => ({ id: `s${i}`, command })), { stopOnFailure: true }, nonce);
  const r = await transport.runScript(script);
  assert.equal(r.code, 0, `batch script failed: ${r.stderr.toString('utf8')}`);
  const results = parseBatchOutput(r.stdout, nonce);
  return commands.map((_, i) => results.get(`s${i}`)).filter((x): x is CommandResult => x !== undefined);
}
