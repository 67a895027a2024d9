/**
 * Fleet execution and the state provision keeps on hosts, end to end on five real hosts booted by
 * the nspawn harness (reused across tests): concurrency with a dead host and a wrong host key,
 * rolling batches that stop at --max-fail-percent, the per-host apply lock, a restart owed by a
 * failed run and performed by the next one, and orphans shown and pruned.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfiguration } from '../../src/config/playbook.ts';
import { validator } from '../../src/config/schema.ts';
import { applyFleet } from '../../src/engine/fleet.ts';
import type { PlanDocument } from '../../src/engine/plan-document.ts';
import type { HostPlan } from '../../src/engine/plan.ts';
import { transportFor } from '../../src/transport/factory.ts';
import { bootHosts, harnessPrerequisites, hostExec, hostOutput, shutdownHosts, type TestFleet } from '../harness/hosts.ts';
import { fleetInventory } from '../harness/inventory.ts';
import { observedTransport } from '../harness/observed-transport.ts';
import { provision, spawnProvision } from './cli.ts';

const HOSTS = 5;
/** An address on the harness's network where no host answers. */
const DEAD = `${process.env['TESTHOSTS_NET'] ?? '10.77.0'}.99`;
let fleet: TestFleet;
let dir: string;

function playbook(opts: { version: string; extraFile?: boolean; brokenUser?: boolean; slowStep?: boolean }): string {
  return `- hosts: all
  resources:
    - kind: directory
      path: /etc/fleet
      mode: "0755"
    - kind: file
      path: /etc/fleet/app.conf
      content: "version = ${opts.version}\\nhost = {{host.name}}\\n"
      mode: "0644"
${opts.extraFile ? `    - kind: file
      path: /etc/fleet/extra.txt
      content: "extra\\n"
      mode: "0644"
` : ''}${opts.brokenUser ? `    - kind: user
      name: fleetbroken
      group: no-such-group
      requires: [file:/etc/fleet/app.conf]
` : ''}${opts.slowStep ? `    - kind: systemd_service
      name: fleetslow
      type: oneshot
      exec_start: [/bin/sleep, "20"]
      requires: [file:/etc/fleet/app.conf]
` : ''}    - kind: systemd_service
      name: fleetapp
      exec_start: [/bin/sleep, infinity]
      restart: always
      watch: [/etc/fleet/app.conf]
${opts.brokenUser ? '      requires: [user:fleetbroken]\n' : ''}${opts.slowStep ? '      requires: [systemd_service:fleetslow]\n' : ''}`;
}

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const onHost = hostOutput;

function hostIn(doc: PlanDocument, name: string): HostPlan {
  const h = doc.hosts.find((x) => x.host === name);
  assert.ok(h, `${name} in ${doc.hosts.map((x) => x.host).join(', ')}`);
  return h;
}

function parseDoc(stdout: string): PlanDocument {
  const doc = JSON.parse(stdout) as PlanDocument;
  const validate = validator('plan.schema.json');
  assert.ok(validate(doc), JSON.stringify(validate.errors));
  return doc;
}

/** Inventory of the booted hosts `indexes` (1-based), plus extra ones first. */
function inventory(name: string, indexes: readonly number[], options: { extraHosts?: Record<string, Record<string, unknown>>; knownHosts?: string } = {}): string {
  const picked = { ...fleet, hosts: indexes.map((i) => fleet.hosts[i - 1] as TestFleet['hosts'][number]) };
  return write(name, fleetInventory(picked, { ...(options.extraHosts ? { extraHosts: options.extraHosts } : {}), ...(options.knownHosts ? { connection: { known_hosts_file: options.knownHosts } } : {}) }));
}

const mainPid = (i: number): Promise<string> => onHost(i, 'systemctl', 'show', '-p', 'MainPID', '--value', 'fleetapp');

describe('fleets on real hosts', { timeout: 20 * 60_000 }, () => {
  before(async () => {
    const missing = harnessPrerequisites();
    if (missing.length > 0) throw new Error(`the e2e harness cannot run here; missing: ${missing.join('; ')}`);
    fleet = await bootHosts(HOSTS);
    dir = mkdtempSync(join(tmpdir(), 'provision-fleet-e2e-'));
    // Start from hosts provision never touched (hosts may be reused from an earlier run).
    for (let i = 1; i <= HOSTS; i++) {
      await hostExec(i, ['sh', '-c', 'systemctl disable --now fleetapp 2>/dev/null; rm -rf /etc/fleet /var/lib/provision /etc/systemd/system/fleetapp.service; userdel fleetbroken 2>/dev/null; systemctl daemon-reload; true']);
    }
  });

  after(async () => {
    await shutdownHosts();
  });

  test('a dead host and a wrong host key fail alone; the other hosts converge and the summary is exact', async () => {
    const names = fleet.hosts.map((h) => h.name);
    // Host 5's known_hosts line carries host 1's key: a changed host key.
    const known = readFileSync(fleet.knownHostsPath, 'utf8')
      .split('\n')
      .map((l) => (l.startsWith(`${fleet.hosts[4]?.address} `) ? `${fleet.hosts[4]?.address} ${fleet.hosts[0]?.hostKey}` : l))
      .join('\n');
    const inv = inventory('inv-mixed.yml', [1, 2, 3, 4, 5], { extraHosts: { dead: { address: DEAD } }, knownHosts: write('known_hosts_wrong', known) });
    const pb = write('v1.yml', playbook({ version: '1' }));
    const r = await provision(['apply', pb, '-i', inv, '--yes', '--json', '--forks', '3', '--retries', '1', '--retry-delay', '0.2']);
    assert.equal(r.code, 1, r.stderr);
    const doc = parseDoc(r.stdout);
    assert.equal(doc.hosts.length, 6);
    assert.deepEqual(doc.summary.hosts_failed, 2);
    assert.equal(hostIn(doc, 'dead').error?.phase, 'connect');
    assert.match(hostIn(doc, 'dead').error?.message ?? '', /after 2 attempts/);
    assert.equal(hostIn(doc, names[4] as string).error?.phase, 'connect');
    assert.match(hostIn(doc, names[4] as string).error?.message ?? '', /host key/i);
    assert.doesNotMatch(hostIn(doc, names[4] as string).error?.message ?? '', /attempts/, 'a host key failure is never retried');
    for (const n of names.slice(0, 4)) assert.equal(hostIn(doc, n).error, undefined, `${n}: ${JSON.stringify(hostIn(doc, n).error)}`);
    assert.match(r.stderr, /Applied: .* on 4 of 6 hosts\./);
    assert.match(r.stderr, /2 hosts failed:/);
    for (let i = 1; i <= 4; i++) assert.equal(await onHost(i, 'cat', '/etc/fleet/app.conf'), `version = 1\nhost = ${names[i - 1]}`);
    assert.equal((await hostExec(5, ['test', '-e', '/etc/fleet'])).code, 1, 'host 5 was never changed');
    // The ledger lists what was applied, root-only.
    assert.equal(await onHost(1, 'stat', '-c', '%a %U', '/var/lib/provision/ledger.json'), '600 root');
    const ledger = JSON.parse(await onHost(1, 'cat', '/var/lib/provision/ledger.json')) as { resources: { address: string }[]; pending_refresh: unknown[] };
    assert.deepEqual(ledger.resources.map((e) => e.address), ['directory:/etc/fleet', 'file:/etc/fleet/app.conf', 'systemd_service:fleetapp']);
    assert.deepEqual(ledger.pending_refresh, []);
    assert.equal((await hostExec(1, ['test', '-e', '/var/lib/provision/lock'])).code, 1, 'the lock is released');
  });

  test('--serial 2 --max-fail-percent 10: a failure in the first batch stops the rollout; later hosts are listed as not attempted', async () => {
    const names = fleet.hosts.map((h) => h.name);
    const inv = inventory('inv-serial.yml', [1, 2, 3, 4], { extraHosts: { dead: { address: DEAD } } });
    const pb = write('v2.yml', playbook({ version: '2' }));
    const r = await provision(['apply', pb, '-i', inv, '--yes', '--json', '--serial', '2', '--max-fail-percent', '10', '--retries', '0']);
    assert.equal(r.code, 1, r.stderr);
    const doc = parseDoc(r.stdout);
    assert.deepEqual(doc.hosts.map((h) => h.host), ['dead', ...names.slice(0, 4)]);
    assert.equal(hostIn(doc, 'dead').error?.phase, 'connect');
    assert.equal(hostIn(doc, names[0] as string).error, undefined);
    const skipped = doc.hosts.filter((h) => h.not_attempted).map((h) => h.host);
    assert.deepEqual(skipped, names.slice(1, 4));
    assert.equal(doc.summary.hosts_not_attempted, 3);
    assert.equal(doc.summary.hosts_failed, 1);
    assert.match(r.stderr, /Applied: .* on 1 of 5 hosts\./);
    assert.match(r.stderr, new RegExp(`3 hosts not attempted: ${names.slice(1, 4).join(', ')}`));
    assert.match(r.stderr, /1 of 2 hosts attempted failed, more than --max-fail-percent 10; no batch was started after batch 1 of 3/);
    assert.equal(await onHost(1, 'head', '-1', '/etc/fleet/app.conf'), 'version = 2', 'the finished host stays done');
    for (const i of [2, 3, 4]) assert.equal(await onHost(i, 'head', '-1', '/etc/fleet/app.conf'), 'version = 1', `host ${i} was not attempted`);
  });

  test('two applies on one host at once: the second is refused, naming the holder and since when', async () => {
    const name = fleet.hosts[2]?.name as string;
    const inv = inventory('inv-3.yml', [3]);
    const pb = write('v3.yml', playbook({ version: '3' }));
    const { config } = loadConfiguration({ playbook: pb, inventory: inv });
    assert.ok(config);
    // The first apply is held after it took the lock and read the host, before its changes run.
    let proceed!: () => void;
    const gate = new Promise<void>((r) => (proceed = r));
    let holding!: () => void;
    const held = new Promise<void>((r) => (holding = r));
    const first = applyFleet(config, {
      forks: 1,
      transportFor: (w) =>
        observedTransport(transportFor(w.host), async (n) => {
          if (n === 2) {
            holding();
            await gate;
          }
        }),
    });
    await held;
    const second = await provision(['apply', pb, '-i', inv, '--yes']);
    proceed();
    const [outcome] = await first;
    assert.equal(second.code, 1);
    const who = `${userInfo().username}@${hostname()} (pid ${process.pid}) since `;
    assert.ok(second.stdout.includes(`another apply holds the lock /var/lib/provision/lock: ${who}`), second.stdout);
    assert.match(second.stdout, /provision unlock/);
    assert.equal(outcome?.plan.error, undefined, JSON.stringify(outcome?.plan.error));
    assert.equal(await onHost(3, 'head', '-1', '/etc/fleet/app.conf'), 'version = 3');
    assert.equal((await hostExec(3, ['test', '-e', '/var/lib/provision/lock'])).code, 1, 'the first apply released its lock');
    // A lock whose apply died is removed by provision unlock, which says whose it was.
    await onHost(3, 'sh', '-c', 'mkdir -p /var/lib/provision/lock && echo \'{"controller":"ci@runner-7","pid":4242,"since":"2026-01-02T03:04:05.000Z","run":"dead"}\' > /var/lib/provision/lock/holder.json');
    const changed = write('v3b.yml', playbook({ version: '3b' }));
    const refused = await provision(['apply', changed, '-i', inv, '--yes']);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /ci@runner-7 \(pid 4242\) since 2026-01-02T03:04:05.000Z/);
    const unlock = await provision(['unlock', name, '-i', inv]);
    assert.equal(unlock.code, 0, unlock.stderr);
    assert.match(unlock.stdout, new RegExp(`${name}: removed the lock held by ci@runner-7 \\(pid 4242\\)`));
    assert.equal((await hostExec(3, ['test', '-e', '/var/lib/provision/lock'])).code, 1);
    const retried = await provision(['apply', changed, '-i', inv, '--yes']);
    assert.equal(retried.code, 0, retried.stdout + retried.stderr);
  });

  test('a run that fails between a config change and its restart: the next plan shows the pending restart and apply performs it', async () => {
    const inv = inventory('inv-1.yml', [1]);
    const pidBefore = await mainPid(1);
    assert.notEqual(pidBefore, '0');
    // version 4 changes app.conf; the user after it fails (its group does not exist), so the
    // service's restart, which comes after the user, never runs.
    const failing = await provision(['apply', write('v4-broken.yml', playbook({ version: '4', brokenUser: true })), '-i', inv, '--yes']);
    assert.equal(failing.code, 1, failing.stdout);
    assert.match(failing.stdout, /user:fleetbroken/);
    assert.equal(await onHost(1, 'head', '-1', '/etc/fleet/app.conf'), 'version = 4');
    assert.equal(await mainPid(1), pidBefore, 'not restarted by the failed run');
    const ledger = JSON.parse(await onHost(1, 'cat', '/var/lib/provision/ledger.json')) as { pending_refresh: { address: string; by: string[] }[] };
    assert.deepEqual(ledger.pending_refresh.map((p) => [p.address, p.by]), [['systemd_service:fleetapp', ['file:/etc/fleet/app.conf']]]);

    const fixed = write('v4.yml', playbook({ version: '4' }));
    const plan = await provision(['plan', fixed, '-i', inv, '--detailed-exitcode']);
    assert.equal(plan.code, 2, plan.stderr);
    assert.match(plan.stdout, /~ systemd_service:fleetapp {2}\(refresh \(pending from a failed run at \d{4}-\d\d-\d\dT[\d:.]+Z\)\)/);
    const applied = await provision(['apply', fixed, '-i', inv, '--yes']);
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    const pidAfter = await mainPid(1);
    assert.notEqual(pidAfter, pidBefore, 'the pending restart ran');
    assert.notEqual(pidAfter, '0');
    const again = await provision(['plan', fixed, '-i', inv, '--detailed-exitcode']);
    assert.equal(again.code, 0, `the pending restart is cleared once done:\n${again.stdout}`);
  });

  test('a controller killed between a config change and its restart: the next plan shows the pending restart; after unlock, apply performs it', async () => {
    const inv = inventory('inv-1-kill.yml', [1]);
    const pidBefore = await mainPid(1);
    // version 5 changes app.conf, then starts a oneshot unit that takes 20 s, then would restart
    // fleetapp: the controller is killed while the oneshot runs.
    const run = spawnProvision(['apply', write('v5-slow.yml', playbook({ version: '5', slowStep: true })), '-i', inv, '--yes']);
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      run.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/applying/.test(stderr)) resolve();
      });
      run.on('close', () => reject(new Error(`apply ended before applying: ${stderr}`)));
    });
    // app.conf is written first; wait until it is, then kill the controller outright.
    for (let i = 0; i < 100 && (await onHost(1, 'head', '-1', '/etc/fleet/app.conf')) !== 'version = 5'; i++) await sleep(100);
    run.kill('SIGKILL');
    await new Promise((resolve) => run.on('close', resolve));
    assert.equal(await onHost(1, 'head', '-1', '/etc/fleet/app.conf'), 'version = 5');
    assert.equal(await mainPid(1), pidBefore, 'not restarted by the killed run');

    const v5 = write('v5.yml', playbook({ version: '5' }));
    const plan = await provision(['plan', v5, '-i', inv, '--detailed-exitcode']);
    assert.equal(plan.code, 2, plan.stdout + plan.stderr);
    assert.match(plan.stdout, /~ systemd_service:fleetapp {2}\(refresh \(pending from a failed run at /);
    // The killed run still holds the host's lock: apply is refused until an operator removes it.
    const refused = await provision(['apply', v5, '-i', inv, '--yes']);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /another apply holds the lock/);
    const unlocked = await provision(['unlock', fleet.hosts[0]?.name ?? '', '-i', inv]);
    assert.equal(unlocked.code, 0, unlocked.stdout + unlocked.stderr);
    const applied = await provision(['apply', v5, '-i', inv, '--yes', '--prune']);
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    assert.notEqual(await mainPid(1), pidBefore, 'the pending restart ran');
    const again = await provision(['plan', v5, '-i', inv, '--detailed-exitcode']);
    assert.equal(again.code, 0, `nothing owed, the slow unit pruned:\n${again.stdout}`);
  });

  test('a resource removed from the playbook shows as an orphan; --prune deletes it', async () => {
    const inv = inventory('inv-2.yml', [2]);
    const withExtra = write('v5-extra.yml', playbook({ version: '5', extraFile: true }));
    const a = await provision(['apply', withExtra, '-i', inv, '--yes']);
    assert.equal(a.code, 0, a.stdout + a.stderr);
    assert.equal(await onHost(2, 'cat', '/etc/fleet/extra.txt'), 'extra');

    const without = write('v5.yml', playbook({ version: '5' }));
    const p = await provision(['plan', without, '-i', inv, '--json']);
    assert.equal(p.code, 0, p.stderr);
    const orphan = hostIn(parseDoc(p.stdout), fleet.hosts[1]?.name as string).resources.find((r) => r.address === 'file:/etc/fleet/extra.txt');
    assert.deepEqual([orphan?.action, orphan?.orphan], ['none', { prunable: true }]);
    const text = await provision(['plan', without, '-i', inv]);
    assert.match(text.stdout, /\? file:\/etc\/fleet\/extra\.txt {2}\(orphan: no longer in the playbook; --prune/);
    assert.match(text.stdout, /1 orphan kept/);

    const plain = await provision(['apply', without, '-i', inv, '--yes']);
    assert.equal(plain.code, 0, plain.stdout);
    assert.equal(await onHost(2, 'cat', '/etc/fleet/extra.txt'), 'extra', 'without prune an orphan stays');

    const pruned = await provision(['plan', without, '-i', inv, '--prune']);
    assert.match(pruned.stdout, /- file:\/etc\/fleet\/extra\.txt {2}\(delete orphan: no longer in the playbook\)/);
    const applied = await provision(['apply', without, '-i', inv, '--yes', '--prune']);
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    assert.equal((await hostExec(2, ['test', '-e', '/etc/fleet/extra.txt'])).code, 1, 'pruned');
    const ledger = JSON.parse(await onHost(2, 'cat', '/var/lib/provision/ledger.json')) as { resources: { address: string }[] };
    assert.ok(!ledger.resources.some((e) => e.address === 'file:/etc/fleet/extra.txt'), 'forgotten by the ledger');
    const after = await provision(['plan', without, '-i', inv, '--detailed-exitcode']);
    assert.equal(after.code, 0, after.stdout);
    assert.doesNotMatch(after.stdout, /orphan/);
  });
});
