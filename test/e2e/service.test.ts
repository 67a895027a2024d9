/**
 * The `service` kind end to end on real hosts: the same definition under each of the four
 * autostart methods (one host per method), run as its user, restarted per policy after kill -9
 * (and left down with `never`), running again after a reboot, numprocs under supervisor, method
 * switching with one instance and no leftover registration, and `absent` removing every trace.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PlanDocument } from '../../src/engine/plan-document.ts';
import { bootHosts, harnessPrerequisites, hostExec, rebootHost, shutdownHosts, type TestFleet } from '../harness/hosts.ts';
import { fleetInventory } from '../harness/inventory.ts';
import { provision } from './cli.ts';

const METHODS = ['systemd', 'supervisor', 'cron-reboot', 'sysv'] as const;
let fleet: TestFleet;
let dir: string;

const PLAYBOOK = `# yaml-language-server: $schema=../schemas/playbook.schema.json
- name: svc
  hosts: all
  resources:
    - kind: user
      name: svc
      system: true
    - kind: directory
      path: /opt/svc
      owner: svc
      mode: "0755"
    - kind: file
      path: /opt/svc/run.sh
      mode: "0755"
      content: |
        #!/bin/sh
        echo "started as $(id -un) in $(pwd) with $GREETING"
        exec sleep infinity
    - kind: file
      path: /opt/svc/app.conf
      content: "level = {{level}}\\n"
    - kind: package
      name: supervisor
    - kind: package
      name: cron
    - kind: service
      name: svc
      ensure: "{{ensure}}"
      description: provision e2e service
      command: [/opt/svc/run.sh]
      working_directory: /opt/svc
      user: svc
      environment: { GREETING: "hi 'there' %n $HOME", TOKEN: '{{env "SVC_TOKEN"}}' }
      restart: { policy: "{{policy}}" }
      autostart: { method: "{{method}}" }
      numprocs: "{{numprocs}}"
      reads: [/opt/svc/app.conf]
`;

const SECRET = 'svc-secret-81f2';
const env = { SVC_TOKEN: SECRET };

interface HostVars { method: string; policy?: string; numprocs?: number; ensure?: string; level?: string }

function inventory(vars: readonly HostVars[]): string {
  return fleetInventory(fleet, { hostVars: (i) => ({ policy: 'always', numprocs: 1, ensure: 'present', level: 'info', ...(vars[i] ?? vars[0] ?? { method: 'systemd' }) }) });
}

const perMethod = (extra: Partial<HostVars> = {}): HostVars[] => METHODS.map((method) => ({ method, ...extra }));

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function sh(i: number, script: string): Promise<string> {
  const r = await hostExec(i, ['sh', '-c', script]);
  return r.stdout.trim();
}

/** pids of the program (sleep run by the service as svc). */
async function programPids(i: number): Promise<string[]> {
  return (await sh(i, 'pgrep -u svc -x sleep || true')).split('\n').filter(Boolean);
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(300);
  }
  assert.fail(`timed out waiting for ${what}`);
}

let play: string;

async function apply(inv: string): Promise<void> {
  const r = await provision(['apply', play, '-i', inv, '--yes'], { env });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.ok(!(r.stdout + r.stderr).includes(SECRET), 'no secret in the output');
}

async function plan(inv: string, limit?: string): Promise<{ code: number; doc: PlanDocument }> {
  const r = await provision(['plan', '--json', '--detailed-exitcode', play, '-i', inv, ...(limit ? ['--limit', limit] : [])], { env });
  return { code: r.code, doc: JSON.parse(r.stdout) as PlanDocument };
}

async function assertEmptyPlan(inv: string): Promise<void> {
  const p = await plan(inv);
  const pending = p.doc.hosts.flatMap((h) => h.resources.filter((r) => r.action !== 'none').map((r) => `${h.host} ${r.address} ${JSON.stringify(r.changes)}`));
  assert.equal(p.code, 0, `plan not empty: ${pending.join('\n')}`);
}

/** Registrations of every method on host i, as found on the host itself. */
async function registrations(i: number): Promise<string[]> {
  const out = await sh(i, [
    'r=""',
    '[ -e /etc/systemd/system/svc.service ] && r="$r systemd"',
    '[ -e /etc/supervisor/conf.d/svc.conf ] && r="$r supervisor"',
    'grep -q -F "# provision:service:svc" /var/spool/cron/crontabs/* 2>/dev/null && r="$r cron-reboot"',
    '[ -e /etc/init.d/svc ] && r="$r sysv"',
    'ls /etc/rc2.d | grep -q "svc$" && r="$r rc-links"',
    '[ -e /etc/provision/service/svc.conf ] && r="$r spec"',
    'echo $r',
  ].join('\n'));
  return out.split(' ').filter(Boolean);
}

describe('service end to end: four autostart methods on real hosts', { timeout: 2_400_000 }, () => {
  let inv: string;

  before(async () => {
    const missing = harnessPrerequisites();
    assert.deepEqual(missing, [], `the e2e suite needs: ${missing.join(', ')}`);
    fleet = await bootHosts(METHODS.length);
    dir = mkdtempSync(join(tmpdir(), 'provision-svc-e2e-'));
    play = write('service.yml', PLAYBOOK);
    inv = write('inventory.yml', inventory(perMethod()));
  });

  after(async () => {
    await shutdownHosts();
  });

  test('apply: every method runs the service as its user with its environment; the second plan is empty', async () => {
    await apply(inv);
    for (const [k, method] of METHODS.entries()) {
      const i = k + 1;
      const pids = await programPids(i);
      assert.equal(pids.length, 1, `${method}: one instance`);
      const pid = pids[0] as string;
      assert.equal(await sh(i, `ps -o user= -p ${pid}`), 'svc', method);
      assert.equal(await sh(i, `readlink /proc/${pid}/cwd`), '/opt/svc', method);
      assert.equal(await sh(i, `tr '\\0' '\\n' < /proc/${pid}/environ | grep ^GREETING=`), "GREETING=hi 'there' %n $HOME", method);
      assert.equal(await sh(i, `tr '\\0' '\\n' < /proc/${pid}/environ | grep ^TOKEN=`), `TOKEN=${SECRET}`, method);
      assert.deepEqual((await registrations(i)).filter((r) => r !== 'rc-links' && r !== 'spec'), [method], `${method}: only its own registration`);
    }
    await assertEmptyPlan(inv);
  });

  test('kill -9 of the program: it comes back under every method (policy always)', async () => {
    for (const [k, method] of METHODS.entries()) {
      const i = k + 1;
      const [pid] = await programPids(i);
      await sh(i, `kill -9 ${pid}`);
      await waitFor(`${method} to restart the program`, async () => {
        const now = await programPids(i);
        return now.length === 1 && now[0] !== pid;
      });
    }
    await assertEmptyPlan(inv);
  });

  test('policy never: after kill -9 the program stays down, and the plan says so', async () => {
    const never = write('inventory-never.yml', inventory(perMethod({ policy: 'never' })));
    await apply(never);
    for (const [k, method] of METHODS.entries()) {
      const i = k + 1;
      const pids = await programPids(i);
      assert.equal(pids.length, 1, method);
      await sh(i, `kill -9 ${pids[0]}`);
    }
    await sleep(4000);
    for (const [k, method] of METHODS.entries()) assert.deepEqual(await programPids(k + 1), [], `${method} stays down`);
    const p = await plan(never);
    assert.equal(p.code, 2);
    for (const h of p.doc.hosts) {
      const svc = h.resources.find((r) => r.address === 'service:svc');
      assert.ok(svc?.changes.some((c) => c.attribute === 'state' && c.after === 'running'), `${h.host}: ${JSON.stringify(svc?.changes)}`);
    }
    await apply(inv);
    for (const [k, method] of METHODS.entries()) assert.equal((await programPids(k + 1)).length, 1, method);
  });

  test('a change of a path the service reads restarts it', async () => {
    const before1 = await programPids(1);
    const changed = write('inventory-debug.yml', inventory(perMethod({ level: 'debug' })));
    const p = await provision(['plan', play, '-i', changed], { env });
    assert.match(p.stdout, /~ service:svc {2}\(refresh\)/);
    await apply(changed);
    for (const [k, method] of METHODS.entries()) {
      await waitFor(`${method} running after refresh`, async () => (await programPids(k + 1)).length === 1);
    }
    assert.notDeepEqual(await programPids(1), before1, 'restarted');
    await assertEmptyPlan(changed);
    await apply(inv);
  });

  test('numprocs: 3 under supervisor gives three supervised processes', async () => {
    const vars = perMethod();
    vars[1] = { method: 'supervisor', numprocs: 3 };
    const three = write('inventory-numprocs.yml', inventory(vars));
    await apply(three);
    assert.equal((await programPids(2)).length, 3);
    const status = await sh(2, 'supervisorctl status "svc:*"');
    assert.equal(status.split('\n').filter((l) => /^svc:svc_[0-2]\s+RUNNING/.test(l)).length, 3, status);
    await assertEmptyPlan(three);
    await apply(inv);
    assert.equal((await programPids(2)).length, 1);
  });

  test('reboot: the service runs again after boot under every method', async () => {
    await Promise.all(METHODS.map((_, k) => rebootHost(k + 1)));
    for (const [k, method] of METHODS.entries()) {
      await waitFor(`${method} after reboot`, async () => (await programPids(k + 1)).length === 1, 60000);
    }
    await assertEmptyPlan(inv);
  });

  test('switching methods systemd -> supervisor -> cron-reboot -> sysv -> systemd: one instance, no leftover registration', async () => {
    for (const method of ['supervisor', 'cron-reboot', 'sysv', 'systemd'] as const) {
      const vars = perMethod();
      vars[0] = { method };
      const step = write(`inventory-switch-${method}.yml`, inventory(vars));
      const p = await plan(step, fleet.hosts[0]?.name);
      const svc = p.doc.hosts[0]?.resources.find((r) => r.address === 'service:svc');
      assert.equal(svc?.action, 'update', JSON.stringify(p.doc.hosts[0]));
      assert.ok(svc?.changes.some((c) => c.attribute === 'autostart.method' && c.after === method), JSON.stringify(svc?.changes));
      await apply(step);
      assert.equal((await programPids(1)).length, 1, `${method}: one running instance`);
      await sleep(2500);
      assert.equal((await programPids(1)).length, 1, `${method}: still one instance`);
      const regs = (await registrations(1)).filter((r) => !(method === 'sysv' && r === 'rc-links') && !((method === 'sysv' || method === 'cron-reboot') && r === 'spec'));
      assert.deepEqual(regs, [method], `after switching to ${method}`);
      assert.equal((await plan(step, fleet.hosts[0]?.name)).code, 0, `${method}: plan empty`);
    }
  });

  test('absent removes every trace of every method', async () => {
    const gone = write('inventory-absent.yml', inventory(perMethod({ ensure: 'absent' })));
    await apply(gone);
    for (const [k, method] of METHODS.entries()) {
      assert.deepEqual(await registrations(k + 1), [], method);
      assert.deepEqual(await programPids(k + 1), [], method);
      assert.equal(await sh(k + 1, 'ls /var/lib/provision/service/svc /etc/provision/env/svc.env 2>/dev/null || true'), '', method);
    }
    await assertEmptyPlan(gone);
  });
});
