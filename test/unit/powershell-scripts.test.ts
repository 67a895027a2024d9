/**
 * Every PowerShell script provision can send to a Windows host: the module .ps1 files, and the
 * read and apply batches built from every Windows fixture. Each must parse without error
 * (tree-sitter-powershell), and hostile values in any string attribute must reach the host only
 * as data: never in script text.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { modules, type AnyModule } from '../../modules/registry.ts';
import { validateResourceAttributes } from '../../src/config/schema.ts';
import { psScript } from '../../src/core/powershell-script.ts';
import { isPowerShell, type CommandResult, type DiffResult, type HostCommand, type PowerShellCommand } from '../../src/core/types.ts';
import { windowsHostState } from '../../src/engine/host-state-windows.ts';
import { buildPowerShellBatch, decodePowerShellBatchSteps } from '../../src/engine/powershell-batch.ts';
import { WINDOWS_FACTS } from '../../src/engine/read-host.ts';
import { defaultFacts, platformOf, readFixtures, type ModuleFixture } from '../support/fixtures.ts';
import { powershellSyntaxProblems } from '../support/powershell-syntax.ts';

const MODULES_DIR = new URL('../../modules/', import.meta.url).pathname;
const NONCE = '@@provision-000000000000000000000000';

const HOSTILE = [
  "'; Remove-Item -Recurse C:\\ ; '",
  '$(Stop-Computer -Force)',
  '`$env:PATH`n',
  'two\nlines',
  '"@\n$x\n"@',
  'ünïcødé ✓ 😀',
];

function ps1Files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return ps1Files(p);
    return f.endsWith('.ps1') ? [p] : [];
  });
}

function result(p: { code?: number; stdout: string; stderr?: string }): CommandResult {
  return { code: p.code ?? 0, stdout: Buffer.from(p.stdout), stderr: Buffer.from(p.stderr ?? '') };
}

/** The probe and the apply commands a fixture leads to. */
function commandsOf(mod: AnyModule, fx: ModuleFixture, desired: Record<string, unknown> = fx.desired): HostCommand[] {
  const probe = mod.probe(desired);
  const current = mod.parse(result(fx.probe), desired, { ...defaultFacts(mod, desired), ...fx.facts });
  const diff: DiffResult = mod.diff(desired, current);
  return [probe, ...(diff.status === 'change' ? mod.apply(desired, current, diff) : [])];
}

function batchOf(commands: readonly HostCommand[]): string {
  const ps = commands.filter(isPowerShell);
  assert.equal(ps.length, commands.length, 'a Windows resource produced a POSIX command');
  return buildPowerShellBatch(ps.map((command, i) => ({ id: `s${i}`, command })), { stopOnFailure: true }, NONCE);
}

/** Every string leaf of a value, as [path, replace] pairs. */
function stringLeaves(value: unknown, path: string[] = []): string[][] {
  if (typeof value === 'string') return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringLeaves(v, [...path, String(i)]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, [...path, k]));
  return [];
}

function withLeaf(value: unknown, path: readonly string[], replacement: string): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path as [string, ...string[]];
  if (Array.isArray(value)) return value.map((v, i) => (String(i) === head ? withLeaf(v, rest, replacement) : v));
  const o = value as Record<string, unknown>;
  return { ...o, [head]: withLeaf(o[head], rest, replacement) };
}

const windowsFixtures = modules.flatMap((mod) => readFixtures(mod.kind).filter(({ fixture }) => platformOf(mod, fixture.desired) === 'windows').map((f) => ({ mod, ...f })));

describe('PowerShell syntax', () => {
  test('every module .ps1 file parses as the body of a batch step', async () => {
    for (const file of ps1Files(MODULES_DIR)) {
      const name = relative(MODULES_DIR, file).replace(/\.ps1$/, '');
      const command: PowerShellCommand = { label: name, input: null, powershell: psScript(name) };
      const problems = await powershellSyntaxProblems(batchOf([command]));
      assert.deepEqual(problems, [], `${file}`);
    }
  });

  test('the read and apply batches of every Windows fixture parse without error', async () => {
    for (const { mod, file, fixture } of windowsFixtures) {
      const problems = await powershellSyntaxProblems(batchOf(commandsOf(mod, fixture)));
      assert.deepEqual(problems, [], `${mod.kind}/${file}`);
    }
  });

  test("the engine's own Windows scripts (facts, lock, ledger) parse without error", async () => {
    const st = windowsHostState();
    const holder = { controller: "o'brien@ctl", pid: 1, since: '2026-11-25T00:00:00.000Z', run: 'r1' };
    const commands = [WINDOWS_FACTS, st.acquireLock(holder), st.releaseLock('r1'), st.breakLock(), st.readLedger(), st.writeLedger('{"format_version":1}')];
    assert.deepEqual(await powershellSyntaxProblems(batchOf(commands)), []);
  });

  test('the checker is not blind: a broken script is caught', async () => {
    assert.notDeepEqual(await powershellSyntaxProblems("if ($x) {\n  'open'\n"), []);
    assert.notDeepEqual(await powershellSyntaxProblems("$s = 'unterminated\n"), []);
  });
});

describe('hostile values reach Windows hosts only as data', () => {
  test('no string attribute of any Windows fixture ever appears in script text', () => {
    let checked = 0;
    for (const { mod, file, fixture } of windowsFixtures) {
      for (const path of stringLeaves(fixture.desired)) {
        for (const hostile of HOSTILE) {
          const desired = withLeaf(fixture.desired, path, hostile) as Record<string, unknown>;
          if (validateResourceAttributes(mod, desired).length > 0) continue; // refused by the schema: fine
          let commands: HostCommand[];
          try {
            commands = commandsOf(mod, fixture, desired);
          } catch {
            continue; // the recorded state does not fit the changed resource (e.g. a different key); the probe alone still counts
          }
          const script = batchOf(commands);
          for (const c of commands.filter(isPowerShell)) assert.ok(!c.powershell.text.includes(hostile), `${mod.kind}/${file} ${path.join('.')}: value in script ${c.powershell.name}`);
          assert.ok(!script.includes(hostile), `${mod.kind}/${file} ${path.join('.')}: value in the batch text`);
          const decoded = JSON.stringify(decodePowerShellBatchSteps(script));
          assert.ok(decoded.includes(JSON.stringify(hostile).slice(1, -1)), `${mod.kind}/${file} ${path.join('.')}: the value did not travel as data`);
          checked++;
        }
      }
    }
    assert.ok(windowsFixtures.length === 0 || checked > 0, 'no hostile value was accepted by any schema: the test checked nothing');
  });
});
