/**
 * The whole engine for a Windows host through the real loader, the real factory and the real
 * registry_value module: playbook + inventory (transport winrm, NTLM over http, sealed) ->
 * plan -> apply -> verify -> re-plan, over the loopback WS-Management server. The scripted host
 * answers the batched read and apply scripts with the recorded-shape JSON of the module's fixtures.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfiguration, type Configuration } from '../../src/config/playbook.ts';
import type { JsonValue } from '../../src/core/types.ts';
import { applyFleet, planFleet } from '../../src/engine/fleet.ts';
import { WindowsStateSim } from '../winrm-server/windows-state.ts';
import { decodePowerShellBatchSteps, formatPowerShellBatchOutput, powerShellBatchNonce } from '../../src/engine/powershell-batch.ts';
import type { HostPlan } from '../../src/engine/plan.ts';
import { transportFor } from '../../src/transport/factory.ts';
import { readFixtures, type ModuleFixture } from '../support/fixtures.ts';
import { ok, PASSWORD, PASSWORD_ENV, startFixture, USER, type Fixture } from '../winrm-server/fixture.ts';
import type { HostOutput } from '../winrm-server/scripted-host.ts';
import { tempFiles } from './helpers.ts';

const FIXTURES = ['create-string.json', 'dword-high-drift.json', 'binary-no-change.json'];
/** The parts of a module fixture this test reads besides ModuleFixture's. */
type Recorded = ModuleFixture & { diff: { status: string; action?: string }; commands?: { input: JsonValue }[] };
const fixtures = readFixtures('registry_value')
  .filter((f) => FIXTURES.includes(f.file))
  .map((f) => f.fixture as Recorded);
assert.equal(fixtures.length, FIXTURES.length, 'registry_value fixtures are missing');

// The host: each value's read answer, by key path and name; apply switches it to the fixture's "after" answer.
const state = new Map<string, string>();
const applied: JsonValue[] = [];
const keyOf = (input: Record<string, JsonValue>): string => `${String(input['path'])}|${String(input['name'])}`;
function reset(): void {
  state.clear();
  applied.length = 0;
  for (const f of fixtures) state.set(`${String(f.desired['key'])}|${String(f.desired['name'])}`, f.probe.stdout);
}

const hostState = new WindowsStateSim();
const FACTS = { os: 'windows', ps_version: '5.1.20348.2849', os_version: '10.0.20348.0', computer_name: 'WIN-APP01', is_admin: true };

function host(script: string): HostOutput {
  const nonce = powerShellBatchNonce(script);
  const results: { id: string; code: number; stdout: string; stderr?: string }[] = [];
  for (const step of decodePowerShellBatchSteps(script)) {
    const input = (step.input ?? {}) as Record<string, JsonValue>;
    const engine = hostState.answer(step);
    if (engine) results.push(engine);
    else if (step.fn === 'engine/facts') results.push({ id: step.id, code: 0, stdout: JSON.stringify(FACTS) });
    else if (step.fn === 'registry_value/read') {
      const answer = state.get(keyOf(input));
      results.push(answer === undefined ? { id: step.id, code: 1, stdout: '', stderr: `no recorded answer for ${keyOf(input)}` } : { id: step.id, code: 0, stdout: answer });
    } else if (step.fn === 'registry_value/apply') {
      applied.push(step.input);
      const f = fixtures.find((x) => `${String(x.desired['key'])}|${String(x.desired['name'])}` === keyOf(input));
      if (!f?.after) results.push({ id: step.id, code: 1, stdout: '', stderr: 'unexpected apply' });
      else {
        state.set(keyOf(input), f.after.stdout);
        results.push({ id: step.id, code: 0, stdout: 'null' });
      }
    } else results.push({ id: step.id, code: 1, stdout: '', stderr: `unknown script ${step.fn}` });
  }
  return ok(formatPowerShellBatchOutput(results, nonce));
}

let fx: Fixture;
let config: Configuration;
before(async () => {
  fx = await startFixture(host, { scheme: 'http' });
  process.env[PASSWORD_ENV] = PASSWORD;
  const resources = fixtures.map((f) => ({ kind: 'registry_value', ...f.desired }));
  const dir = tempFiles({
    'inventory.yml': `all:\n  hosts:\n    win1:\n      address: 127.0.0.1\n      connection:\n        transport: winrm\n        user: ${USER}\n        winrm: { scheme: http, port: ${fx.server.port}, password_env: ${PASSWORD_ENV} }\n`,
  });
  writeFileSync(join(dir, 'playbook.yml'), JSON.stringify([{ name: 'registry', hosts: 'all', resources }]));
  const loaded = loadConfiguration({ playbook: join(dir, 'playbook.yml'), inventory: join(dir, 'inventory.yml') });
  assert.deepEqual(loaded.diagnostics.filter((d) => d.severity === 'error'), []);
  assert.ok(loaded.config);
  config = loaded.config;
});
after(async () => {
  delete process.env[PASSWORD_ENV];
  await fx.close();
});

const options = { forks: 1, transportFor: (w: Configuration['hosts'][number]) => transportFor(w.host) };

test('plan, apply, verify and re-plan of registry values over WinRM', async () => {
  reset();
  const [planned] = await planFleet(config, options);
  assert.ok(planned);
  assert.equal(planned.plan.error, undefined, JSON.stringify(planned.plan.error));
  assert.equal(planned.execs, 1, 'one script reads the whole host');
  assert.deepEqual(
    planned.plan.resources.map((r) => [r.name, r.action]),
    fixtures.map((f) => [`HKLM\\${String(f.desired['key'])} [${String(f.desired['name'])}]`, f.diff.status === 'change' ? (f.diff.action ?? '') : 'none']),
  );

  const [done] = await applyFleet(config, { ...options, expected: new Map<string, HostPlan>([['win1', planned.plan]]) });
  assert.ok(done);
  assert.equal(done.plan.error, undefined, JSON.stringify(done.plan.error));
  assert.equal(done.execs, 3, 'read, apply, verify');
  // Exactly the inputs the module fixtures expect reached the host, through the sealed channel.
  assert.deepEqual(applied, fixtures.flatMap((f) => (f.commands ?? []).map((c) => c.input)));

  const [again] = await planFleet(config, options);
  assert.deepEqual(again?.plan.resources.map((r) => r.action), fixtures.map(() => 'none'));
  assert.ok(fx.server.log.filter((l) => l.operation !== 'auth').every((l) => l.encrypted), 'every body was sealed');
});
