/**
 * The engine's plan and apply for a Windows host through WinrmTransport (NTLM over HTTP, sealed)
 * to the loopback WS-Management server. Its scripted host answers the engine's batched
 * PowerShell scripts with recorded-shape JSON from a small in-memory "machine", so plan, apply,
 * verify and re-plan run end to end over the protocol.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import type { AnyModule } from '../../modules/registry.ts';
import { buildGraph } from '../../src/config/graph.ts';
import type { Configuration, HostWork } from '../../src/config/playbook.ts';
import type { ResourceInstance } from '../../src/config/resource.ts';
import { digest } from '../../src/core/json.ts';
import type { JsonValue, Module, PowerShellCommand } from '../../src/core/types.ts';
import { applyFleet, planFleet } from '../../src/engine/fleet.ts';
import { WindowsStateSim } from '../winrm-server/windows-state.ts';
import { decodePowerShellBatchSteps, formatPowerShellBatchOutput, powerShellBatchNonce } from '../../src/engine/powershell-batch.ts';
import type { HostPlan } from '../../src/engine/plan.ts';
import { ok, startFixture, type Fixture } from '../winrm-server/fixture.ts';
import type { HostOutput } from '../winrm-server/scripted-host.ts';

/** A test-only Windows kind: a machine environment variable. */
interface EnvDesired {
  name: string;
  value: string;
}
interface EnvCurrent {
  exists: boolean;
  value: string | null;
}
const READ = { name: 'test_machine_env/read', text: "$v = [Environment]::GetEnvironmentVariable($in.name, 'Machine')\nreturn [ordered]@{ exists = ($null -ne $v); value = $v }" };
const WRITE = { name: 'test_machine_env/write', text: "[Environment]::SetEnvironmentVariable($in.name, $in.value, 'Machine')" };
const machineEnv: Module<EnvDesired, EnvCurrent> = {
  kind: 'test_machine_env',
  summary: 'test only',
  platforms: ['windows'],
  schema: {},
  sensitiveAttributes: [],
  name: (d) => d.name,
  edges: () => [],
  probe: (d): PowerShellCommand => ({ powershell: READ, input: { name: d.name }, label: `read machine env ${d.name}` }),
  parse: (r) => {
    if (r.code !== 0) throw new Error(r.stderr.toString('utf8'));
    return JSON.parse(r.stdout.toString('utf8')) as EnvCurrent;
  },
  diff: (d, c) =>
    c.exists && c.value === d.value
      ? { status: 'ok', reason: `${d.name} is set` }
      : { status: 'change', action: c.exists ? 'update' : 'create', changes: [{ attribute: 'value', before: c.exists ? c.value : undefined, after: d.value }] },
  apply: (d) => [{ powershell: WRITE, input: { name: d.name, value: d.value }, label: `set machine env ${d.name}` }],
};

// The Windows "machine" behind the server, and how its batch answers look.
const machine = new Map<string, string>();
const state = new WindowsStateSim();
let denyWrites = false;
const FACTS = { os: 'windows', ps_version: '5.1.20348.2849', os_version: '10.0.20348.0', computer_name: 'WIN-APP01', is_admin: true };

function runBatch(script: string): HostOutput {
  const nonce = powerShellBatchNonce(script);
  const stop = /^\$__stop = \$true$/m.test(script);
  const results: { id: string; code: number; stdout: string; stderr?: string }[] = [];
  for (const step of decodePowerShellBatchSteps(script)) {
    const input = step.input as Record<string, JsonValue>;
    let r: { id: string; code: number; stdout: string; stderr?: string };
    const engine = state.answer(step);
    if (engine) r = engine;
    else if (step.fn === 'engine/facts') r = { id: step.id, code: 0, stdout: JSON.stringify(FACTS) };
    else if (step.fn === READ.name) {
      const v = machine.get(String(input['name']));
      r = { id: step.id, code: 0, stdout: JSON.stringify({ exists: v !== undefined, value: v ?? null }) };
    } else if (step.fn === WRITE.name) {
      if (denyWrites) r = { id: step.id, code: 1, stdout: '', stderr: `Requested registry access is not allowed. (script ${WRITE.name}, line 1)` };
      else {
        machine.set(String(input['name']), String(input['value']));
        r = { id: step.id, code: 0, stdout: 'null' };
      }
    } else r = { id: step.id, code: 1, stdout: '', stderr: `unknown script ${step.fn}` };
    results.push(r);
    if (stop && r.code !== 0) break;
  }
  return ok(formatPowerShellBatchOutput(results, nonce));
}

let fx: Fixture;
before(async () => {
  fx = await startFixture(runBatch, { scheme: 'http' });
});
after(async () => {
  await fx.close();
});
beforeEach(() => {
  machine.clear();
  machine.set('ALREADY', 'same');
  denyWrites = false;
});

function resource(d: EnvDesired, line: number): ResourceInstance {
  return {
    address: `test_machine_env:${d.name}`,
    module: machineEnv as unknown as AnyModule,
    name: d.name,
    desired: { ...d },
    requires: [],
    sensitivePaths: new Set(),
    location: { file: 'playbook.yml', line, column: 5 },
    desiredDigest: digest({ kind: 'test_machine_env', desired: d, sensitive: [] }),
  };
}

function configuration(): Configuration {
  const resources = [resource({ name: 'APP_HOME', value: 'C:\\app "quoted" $(x) ü' }, 3), resource({ name: 'ALREADY', value: 'same' }, 6)];
  const { graph } = buildGraph(resources);
  assert.ok(graph);
  const host = { name: 'win1', address: '127.0.0.1', groups: ['all'], vars: {}, connection: { transport: 'winrm' as const } };
  const work: HostWork = { host, graph, secrets: [], prune: false };
  return { playbookFile: 'playbook.yml', inventory: { origin: 'test', hosts: new Map([['win1', host]]), groups: new Map([['all', new Set(['win1'])]]) }, hosts: [work] };
}

const transportFor = (): ReturnType<Fixture['transport']> => fx.transport();

test('plan reads the Windows host in one script over WinRM and shows the changes', async () => {
  const [outcome] = await planFleet(configuration(), { forks: 1, transportFor });
  assert.ok(outcome);
  assert.equal(outcome.plan.error, undefined, JSON.stringify(outcome.plan.error));
  assert.equal(outcome.execs, 1);
  assert.deepEqual(
    outcome.plan.resources.map((r) => [r.address, r.action, r.changes.map((c) => [c.attribute, c.before, c.after])]),
    [
      ['test_machine_env:APP_HOME', 'create', [['value', undefined, 'C:\\app "quoted" $(x) ü']]],
      ['test_machine_env:ALREADY', 'none', []],
    ],
  );
  assert.equal(machine.has('APP_HOME'), false, 'plan changes nothing');
});

test('apply of the reviewed plan converges, verifies, and the next plan is empty', async () => {
  const config = configuration();
  const [planned] = await planFleet(config, { forks: 1, transportFor });
  assert.ok(planned);
  const expected = new Map<string, HostPlan>([['win1', planned.plan]]);
  const [applied] = await applyFleet(config, { forks: 1, transportFor, expected });
  assert.ok(applied);
  assert.equal(applied.plan.error, undefined, JSON.stringify(applied.plan.error));
  assert.deepEqual(applied.applied, ['test_machine_env:APP_HOME']);
  assert.equal(applied.execs, 3, 'read, apply, verify');
  assert.equal(machine.get('APP_HOME'), 'C:\\app "quoted" $(x) ü');
  assert.equal(state.files.has('C:\\ProgramData\\provision\\lock.json'), false, 'the apply lock is released');
  const ledger = JSON.parse(state.files.get('C:\\ProgramData\\provision\\ledger.json') ?? '{}') as { resources?: { address: string }[] };
  assert.deepEqual(ledger.resources?.map((r) => r.address).sort(), ['test_machine_env:ALREADY', 'test_machine_env:APP_HOME']);
  const [again] = await planFleet(config, { forks: 1, transportFor });
  assert.deepEqual(again?.plan.resources.map((r) => r.action), ['none', 'none']);
});

test('a second apply while another holds the Windows host lock is refused, naming the holder', async () => {
  const lock = 'C:\\ProgramData\\provision\\lock.json';
  state.files.set(lock, JSON.stringify({ controller: 'ops@jump1', pid: 4242, since: '2026-11-25T10:00:00.000Z', run: 'other-run' }));
  try {
    const [applied] = await applyFleet(configuration(), { forks: 1, transportFor });
    assert.equal(applied?.plan.error?.phase, 'lock');
    assert.match(applied?.plan.error?.message ?? '', /another apply holds the lock C:\\ProgramData\\provision\\lock\.json: ops@jump1 \(pid 4242\) since 2026-11-25T10:00:00\.000Z/);
  } finally {
    state.files.delete(lock);
  }
});

test('a failing apply step is reported with the host, the resource and the host message', async () => {
  denyWrites = true;
  const [applied] = await applyFleet(configuration(), { forks: 1, transportFor });
  assert.ok(applied?.plan.error);
  assert.equal(applied.plan.error.resource, 'test_machine_env:APP_HOME');
  assert.match(applied.plan.error.message, /"set machine env APP_HOME" failed with exit code 1: Requested registry access is not allowed/);
});

test('an unreachable WinRM host is a connect error naming the host', async () => {
  const [outcome] = await planFleet(configuration(), { forks: 1, transportFor: () => fx.transport({ port: 1 }) });
  assert.equal(outcome?.plan.error?.phase, 'connect');
  assert.match(outcome?.plan.error?.message ?? '', /^win1: cannot reach WinRM/);
});
