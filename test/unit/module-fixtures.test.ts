/**
 * Fixture-driven tests for every module: recorded probe output -> parsed state, desired + current
 * -> the exact changes, changes -> the exact commands, and the state after apply -> no changes.
 * One JSON file per case under fixtures/modules/<kind>/. UPDATE_FIXTURES=1 rewrites the
 * expectations from the code (review the git diff before committing).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { modules } from '../../modules/registry.ts';
import { isPowerShell, type CommandResult, type DiffResult, type HostCommand, type HostFacts } from '../../src/core/types.ts';
import { defaultFacts } from '../support/fixtures.ts';
import { validateResourceAttributes } from '../../src/config/schema.ts';

interface ProbeFixture { code?: number; stdout: string; stderr?: string }
interface Fixture {
  description: string;
  desired: Record<string, unknown>;
  facts?: Partial<HostFacts>;
  probe: ProbeFixture;
  current: unknown;
  diff: DiffResult;
  commands?: unknown[];
  after?: ProbeFixture;
}

const root = new URL('../../fixtures/modules/', import.meta.url).pathname;
const update = process.env.UPDATE_FIXTURES === '1';

function result(p: ProbeFixture): CommandResult {
  return { code: p.code ?? 0, stdout: Buffer.from(p.stdout), stderr: Buffer.from(p.stderr ?? '') };
}

/** PowerShell scripts are static text, recorded by name; their inputs are the data that varies. */
function commandJson(c: HostCommand): unknown {
  if (isPowerShell(c)) return { label: c.label, powershell: c.powershell.name, input: c.input };
  return { label: c.label, argv: [...c.argv], ...(c.stdin === undefined ? {} : { stdin: Buffer.from(c.stdin).toString('utf8') }) };
}

for (const mod of modules) {
  describe(`module ${mod.kind}`, () => {
    const dir = join(root, mod.kind);
    const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
    test('has fixtures', () => assert.ok(files.length >= 3, `fixtures/modules/${mod.kind} needs at least 3 cases`));
    for (const file of files) {
      const path = join(dir, file);
      const fx = JSON.parse(readFileSync(path, 'utf8')) as Fixture;
      test(`${file}: ${fx.description}`, () => {
        assert.deepEqual(validateResourceAttributes(mod, fx.desired), [], 'desired state must satisfy the schema');
        const facts: HostFacts = { ...defaultFacts(mod, fx.desired), ...fx.facts };
        const probe = mod.probe(fx.desired);
        assert.ok(isPowerShell(probe) ? probe.powershell.text.length > 0 : probe.argv.length > 0);
        const current = mod.parse(result(fx.probe), fx.desired, facts);
        const diff = mod.diff(fx.desired, current);
        const commands = diff.status === 'change' ? mod.apply(fx.desired, current, diff).map(commandJson) : [];
        if (update) {
          fx.current = JSON.parse(JSON.stringify(current));
          fx.diff = JSON.parse(JSON.stringify(diff));
          fx.commands = commands;
          writeFileSync(path, JSON.stringify(fx, null, 2) + '\n');
        }
        assert.deepEqual(JSON.parse(JSON.stringify(current)), fx.current, 'parsed current state');
        assert.deepEqual(JSON.parse(JSON.stringify(diff)), fx.diff, 'diff');
        assert.deepEqual(commands, fx.commands ?? [], 'apply commands');
        if (diff.status === 'ok') assert.equal(fx.after, undefined, 'a no-change case has no "after" state');
        if (fx.after) {
          const converged = mod.diff(fx.desired, mod.parse(result(fx.after), fx.desired, facts));
          assert.equal(converged.status, 'ok', `state after apply must show no changes: ${JSON.stringify(converged)}`);
        }
      });
    }
  });
}
