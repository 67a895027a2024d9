/**
 * The fleet runner on "hosts" that are this machine (local transport, files in a temp dir, the
 * lock and ledger in a temp state dir): rolling batches stop at --max-fail-percent, Ctrl-C lets
 * the step in flight finish and starts nothing new, a slow host hits --host-timeout. One fork,
 * so the shared local lock is never contended (they share one ledger too: each sees the others'
 * files as orphans).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { loadConfiguration, type Configuration, type HostWork } from '../../src/config/playbook.ts';
import { applyFleet, planFleet } from '../../src/engine/fleet.ts';
import { transportFor } from '../../src/transport/factory.ts';
import { ConnectionError, type Transport } from '../../src/transport/transport.ts';
import { observedTransport } from '../harness/observed-transport.ts';
import { tempFiles } from './helpers.ts';

const dir = tempFiles({});
process.env['PROVISION_STATE_DIR'] = join(dir, 'state');
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const HOSTS = ['h1', 'h2', 'h3', 'h4', 'h5'];

function config(version: string): Configuration {
  const files = tempFiles({
    'inventory.yml': `all:\n  connection: { transport: local }\n  hosts:\n${HOSTS.map((h) => `    ${h}: {}`).join('\n')}\n`,
    'playbook.yml': `- hosts: all\n  resources:\n    - kind: file\n      path: ${dir}/{{host.name}}.txt\n      content: "${version}\\n"\n`,
  });
  const { config: c, diagnostics } = loadConfiguration({ playbook: join(files, 'playbook.yml'), inventory: join(files, 'inventory.yml') });
  assert.ok(c, JSON.stringify(diagnostics));
  return c;
}

const content = (h: string): string | null => (existsSync(join(dir, `${h}.txt`)) ? readFileSync(join(dir, `${h}.txt`), 'utf8').trim() : null);

/** A transport that cannot reach its host (an auth-like failure: not retried). */
function unreachable(w: HostWork): Transport {
  return {
    host: w.host.name,
    execCount: 0,
    shell: 'sh',
    connect: () => Promise.reject(new ConnectionError(w.host.name, `${w.host.name}: permission denied (publickey)`)),
    runScript: () => Promise.reject(new Error('not connected')),
    close: () => Promise.resolve(),
  };
}

describe('fleet runner (local hosts)', () => {
  test('--serial 2 --max-fail-percent 30: a failure in batch 1 (1 of 2 = 50%) stops before batch 2', async () => {
    const c = config('v1');
    const outcomes = await applyFleet(c, { forks: 1, serial: { count: 2 }, maxFailPercent: 30, transportFor: (w) => (w.host.name === 'h2' ? unreachable(w) : transportFor(w.host)) });
    assert.deepEqual(outcomes.map((o) => [o.plan.host, o.plan.error?.phase ?? (o.plan.not_attempted ? 'not attempted' : 'done')]), [
      ['h1', 'done'],
      ['h2', 'connect'],
      ['h3', 'not attempted'],
      ['h4', 'not attempted'],
      ['h5', 'not attempted'],
    ]);
    assert.match(outcomes[2]?.plan.not_attempted?.reason ?? '', /1 of 2 hosts attempted failed, more than --max-fail-percent 30; no batch was started after batch 1 of 3/);
    assert.deepEqual(HOSTS.map(content), ['v1', null, null, null, null]);
  });

  test('below the limit the rollout goes on: 1 failure in 5 hosts with --max-fail-percent 50', async () => {
    const c = config('v2');
    const outcomes = await applyFleet(c, { forks: 1, serial: { count: 2 }, maxFailPercent: 50, transportFor: (w) => (w.host.name === 'h2' ? unreachable(w) : transportFor(w.host)) });
    assert.deepEqual(outcomes.map((o) => o.plan.not_attempted !== undefined), [false, false, false, false, false]);
    assert.deepEqual(HOSTS.map(content), ['v2', null, 'v2', 'v2', 'v2']);
  });

  test('Ctrl-C while a host reads: that read finishes, the host changes nothing, no other host starts', async () => {
    const c = config('v3');
    const stop = new AbortController();
    const outcomes = await applyFleet(c, {
      forks: 1,
      stop: stop.signal,
      transportFor: (w) => observedTransport(transportFor(w.host), (n) => {
        if (w.host.name === 'h3' && n === 1) stop.abort();
      }),
    });
    assert.deepEqual(outcomes.map((o) => o.plan.error?.phase ?? (o.plan.not_attempted ? 'not attempted' : 'done')), ['done', 'done', 'interrupted', 'not attempted', 'not attempted']);
    assert.match(outcomes[2]?.plan.error?.message ?? '', /interrupted \(Ctrl-C\) after reading the host; nothing was changed/);
    assert.deepEqual(HOSTS.map(content), ['v3', 'v3', 'v2', 'v2', 'v2']);
    assert.ok(!existsSync(join(dir, 'state', 'lock')), 'the interrupted host released its lock');
  });

  test('Ctrl-C during a plan: hosts in flight finish reading, the rest are not attempted', async () => {
    const c = config('v3');
    const stop = new AbortController();
    const outcomes = await planFleet(c, { forks: 1, stop: stop.signal, transportFor: (w) => observedTransport(transportFor(w.host), () => (w.host.name === 'h2' ? stop.abort() : undefined)) });
    assert.deepEqual(outcomes.map((o) => (o.plan.not_attempted ? 'not attempted' : o.plan.resources.filter((r) => !r.orphan).length)), [1, 1, 'not attempted', 'not attempted', 'not attempted']);
  });

  test('--host-timeout: a host that takes too long fails with a clear error; the others are not held up', async () => {
    const c = config('v4');
    const outcomes = await applyFleet(c, {
      forks: 2,
      hostTimeoutMs: 1500,
      transportFor: (w) => (w.host.name === 'h1' ? observedTransport(transportFor(w.host), () => new Promise((r) => setTimeout(r, 60_000).unref())) : unreachable(w)),
    });
    assert.equal(outcomes[0]?.plan.error?.phase, 'timeout');
    assert.match(outcomes[0]?.plan.error?.message ?? '', /did not finish within the host timeout of 1.5 s \(it was reading\)/);
    assert.deepEqual(outcomes.slice(1).map((o) => o.plan.error?.phase), ['connect', 'connect', 'connect', 'connect']);
  });
});

describe('Ctrl-C on the command line', () => {
  test('apply: the first SIGINT lets hosts in flight finish, starts no new host, prints an honest summary and exits 130', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `c${i + 1}`);
    const files = tempFiles({
      'inventory.yml': `all:\n  connection: { transport: local }\n  hosts:\n${many.map((h) => `    ${h}: {}`).join('\n')}\n`,
      'playbook.yml': `- hosts: all\n  resources:\n    - kind: file\n      path: ${dir}/ctrl-c/{{host.name}}.txt\n      content: "x\\n"\n`,
    });
    mkdirSync(join(dir, 'ctrl-c'));
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'apply', join(files, 'playbook.yml'), '-i', join(files, 'inventory.yml'), '--yes', '--forks', '1'], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    // The apply phase's progress (plain lines on a pipe) shows the first host done: interrupt then.
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && /c1: 1 resource\(s\) changed/.test(stderr)) sent = child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 130, stdout + stderr);
    assert.match(stderr, /Interrupted: each host finishes the step in flight/);
    const done = readdirSync(join(dir, 'ctrl-c')).length;
    assert.ok(done >= 1 && done < many.length, `${done} hosts changed`);
    const skipped = many.length - done - (/1 host interrupted/.test(stdout) ? 1 : 0);
    assert.match(stdout, new RegExp(`Applied: 1 created, .* on ${done} of ${many.length} hosts\\.`));
    assert.match(stdout, new RegExp(`${skipped} hosts not attempted: `));
    assert.match(stdout, /\(interrupted \(Ctrl-C\) before this host was started\)/);
  });
});
