/**
 * The plan/apply engine end to end on real hosts: Debian with systemd as PID 1 and sshd, booted
 * by the project's nspawn harness, reached over SSH with strict host key checking.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfiguration } from '../../src/config/playbook.ts';
import { validator } from '../../src/config/schema.ts';
import { planFleet } from '../../src/engine/fleet.ts';
import type { PlanDocument } from '../../src/engine/plan-document.ts';
import { transportFor } from '../../src/transport/factory.ts';
import { bootHosts, harnessPrerequisites, hostExec, hostOutput, rebootHost, shutdownHosts, type TestFleet } from '../harness/hosts.ts';
import { provision } from './cli.ts';

const HOSTS = 3;
let fleet: TestFleet;
let dir: string;

const PLAYBOOK = `# yaml-language-server: $schema=../schemas/playbook.schema.json
- name: app
  hosts: app
  resources:
    - kind: group
      name: app
      system: true
    - kind: user
      name: app
      system: true
      group: app
      home: /opt/app
    - kind: directory
      path: /opt/app
      owner: app
      group: app
      mode: "0750"
    - kind: file
      path: /opt/app/app.conf
      content: |
        greeting = {{greeting}}
        level = {{level}}
        host = {{host.name}}
      owner: root
      group: app
      mode: "0640"
    - kind: file
      path: /opt/app/run.sh
      content: |
        #!/bin/sh
        # a long-running service that reads its config
        exec sleep infinity
      mode: "0755"
    - kind: systemd_service
      name: app
      description: provision e2e app
      exec_start: [/bin/sh, /opt/app/run.sh]
      working_directory: /opt/app
      user: app
      group: app
      environment:
        GREETING: "{{greeting}}"
        API_TOKEN: '{{env "E2E_API_TOKEN"}}'
      restart: always
      restart_sec: 1
      watch: [/opt/app/app.conf]
`;

const SECRET = 'tok-3f9a-very-secret';
const env = { E2E_API_TOKEN: SECRET };

function inventory(extra = ''): string {
  const hosts = fleet.hosts
    .map((h) => `        ${h.name}: { address: ${h.address} }`)
    .join('\n');
  return `all:
  vars: { greeting: hello, level: info }
  connection:
    user: root
    identity_file: ${fleet.hosts[0]?.privateKeyPath}
    known_hosts_file: ${fleet.knownHostsPath}
    ssh_config_file: null
    connect_timeout: 3
  children:
    app:
      hosts:
${hosts}
${extra}`;
}

/** Inventory name of host i (1-based). */
function hn(i: number): string {
  return fleet.hosts[i - 1]?.name ?? `host${i}`;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const onHost = hostOutput;

async function planJson(args: string[]): Promise<{ code: number; doc: PlanDocument; stderr: string }> {
  const r = await provision(['plan', '--json', '--detailed-exitcode', ...args], { env });
  return { code: r.code, doc: JSON.parse(r.stdout) as PlanDocument, stderr: r.stderr };
}

function changesOf(doc: PlanDocument, host: string): Record<string, string[]> {
  const h = doc.hosts.find((x) => x.host === host);
  assert.ok(h, `host ${host} in plan`);
  return Object.fromEntries(h.resources.filter((r) => r.action !== 'none').map((r) => [r.address, [r.action, ...r.changes.map((c) => c.attribute)]]));
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(200);
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('engine end to end on real systemd hosts over SSH', { timeout: 600_000 }, () => {
  let play: string;
  let inv: string;

  before(async () => {
    const missing = harnessPrerequisites();
    assert.deepEqual(missing, [], `the e2e suite needs: ${missing.join(', ')}`);
    fleet = await bootHosts(HOSTS);
    dir = mkdtempSync(join(tmpdir(), 'provision-e2e-'));
    play = write('app.yml', PLAYBOOK);
    inv = write('inventory.yml', inventory());
  });

  after(async () => {
    await shutdownHosts();
  });

  test('validate accepts the playbook and contacts nothing', async () => {
    const r = await provision(['validate', play, '-i', inv], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /valid \(3 hosts, 18 resource instances\)/);
  });

  test('plan reads each host in exactly one remote exec and shows creates', async () => {
    const { config, diagnostics } = loadConfiguration({ playbook: play, inventory: inv, environment: env });
    assert.ok(config, JSON.stringify(diagnostics));
    const outcomes = await planFleet(config, { forks: 10, transportFor: (w) => transportFor(w.host) });
    for (const o of outcomes) {
      assert.equal(o.plan.error, undefined, JSON.stringify(o.plan.error));
      assert.equal(o.execs, 1, `host ${o.plan.host}: one round trip for plan`);
      assert.deepEqual(o.plan.resources.map((r) => r.action), ['create', 'create', 'create', 'create', 'create', 'create']);
    }
    const text = await provision(['plan', play, '-i', inv, '--detailed-exitcode'], { env });
    assert.equal(text.code, 2, text.stderr);
    assert.match(text.stdout, new RegExp(`host ${hn(1)} \\(${escapeRe(fleet.hosts[0]?.address ?? '')}\\)\n {2}\\+ group:app {2}\\(create\\)`));
    assert.match(text.stdout, /Plan: 18 to create, 0 to update, 0 to delete, 0 unchanged on 3 of 3 hosts\./);
    assert.ok(!text.stdout.includes(SECRET), 'the secret never appears in the plan');
    assert.match(text.stdout, /environment\.API_TOKEN: "\(sensitive\)"/);
  });

  test('apply converges every host; the service runs as its user; a second plan is empty', async () => {
    const r = await provision(['apply', play, '-i', inv, '--yes'], { env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(!(r.stdout + r.stderr).includes(SECRET));
    assert.match(r.stdout, /Applied: 18 created, 0 updated, 0 deleted, 0 unchanged on 3 of 3 hosts\./);
    for (let i = 1; i <= HOSTS; i++) {
      assert.equal(await onHost(i, 'systemctl', 'is-active', 'app.service'), 'active');
      assert.equal(await onHost(i, 'systemctl', 'is-enabled', 'app.service'), 'enabled');
      const pid = await onHost(i, 'systemctl', 'show', '-p', 'MainPID', '--value', 'app.service');
      assert.equal(await onHost(i, 'ps', '-o', 'user=', '-p', pid), 'app');
      assert.equal(await onHost(i, 'cat', '/opt/app/app.conf'), `greeting = hello\nlevel = info\nhost = ${hn(i)}`);
      assert.equal(await onHost(i, 'stat', '-c', '%U:%G %a', '/opt/app/app.conf'), 'root:app 640');
      // The secret is on the host only in a root-only file, never in the world-readable unit.
      assert.ok(!(await onHost(i, 'cat', '/etc/systemd/system/app.service')).includes(SECRET));
      assert.equal(await onHost(i, 'sh', '-c', 'tr "\\0" "\\n" < /proc/$(systemctl show -p MainPID --value app.service)/environ | grep ^API_TOKEN='), `API_TOKEN=${SECRET}`);
    }
    const again = await planJson([play, '-i', inv]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.doc.summary.unchanged, 18);
    const second = await provision(['apply', play, '-i', inv, '--yes'], { env });
    assert.equal(second.code, 0);
    assert.match(second.stdout, /No changes/);
  });

  test('out-of-band drift shows exactly, exits 2, and apply repairs it', async () => {
    await onHost(1, 'sed', '-i', 's/^Restart=always$/Restart=no/', '/etc/systemd/system/app.service');
    await onHost(1, 'chmod', '0604', '/opt/app/app.conf');
    await onHost(2, 'systemctl', 'stop', 'app.service');
    const drift = await planJson([play, '-i', inv]);
    assert.equal(drift.code, 2, drift.stderr);
    const schema = validator('plan.schema.json');
    assert.ok(schema(drift.doc), JSON.stringify(schema.errors));
    const th1 = changesOf(drift.doc, hn(1));
    assert.deepEqual(th1['file:/opt/app/app.conf'], ['update', 'mode']);
    assert.deepEqual(th1['systemd_service:app']?.slice(0, 1), ['update']);
    assert.ok(th1['systemd_service:app']?.includes('restart'), JSON.stringify(th1));
    assert.deepEqual(Object.keys(th1).sort(), ['file:/opt/app/app.conf', 'systemd_service:app']);
    const mode = drift.doc.hosts[0]?.resources.find((r) => r.address === 'file:/opt/app/app.conf')?.changes[0];
    assert.deepEqual(mode, { attribute: 'mode', before: '0604', after: '0640' });
    assert.deepEqual(changesOf(drift.doc, hn(2)), { 'systemd_service:app': ['update', 'state'] });
    assert.deepEqual(changesOf(drift.doc, hn(3)), {});

    const fix = await provision(['apply', play, '-i', inv, '--yes'], { env });
    assert.equal(fix.code, 0, fix.stdout + fix.stderr);
    assert.equal(await onHost(1, 'stat', '-c', '%a', '/opt/app/app.conf'), '640');
    assert.equal(await onHost(2, 'systemctl', 'is-active', 'app.service'), 'active');
    assert.equal((await planJson([play, '-i', inv])).code, 0);
  });

  test('a changed config file restarts the service that watches it', async () => {
    const pidBefore = await onHost(3, 'systemctl', 'show', '-p', 'MainPID', '--value', 'app.service');
    const changed = write('inventory-changed.yml', inventory().replace('level: info', 'level: debug'));
    const p = await provision(['plan', play, '-i', changed, '--limit', hn(3)], { env });
    assert.match(p.stdout, /~ systemd_service:app {2}\(refresh\)/);
    const r = await provision(['apply', play, '-i', changed, '--limit', hn(3), '--yes'], { env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const pidAfter = await onHost(3, 'systemctl', 'show', '-p', 'MainPID', '--value', 'app.service');
    assert.notEqual(pidAfter, pidBefore, 'the service was restarted');
    assert.equal((await planJson([play, '-i', changed, '--limit', hn(3)])).code, 0);
    const back = await provision(['apply', play, '-i', inv, '--limit', hn(3), '--yes'], { env });
    assert.equal(back.code, 0);
  });

  test('restart always: SIGKILL of the main process brings it back', async () => {
    const pid = await onHost(1, 'systemctl', 'show', '-p', 'MainPID', '--value', 'app.service');
    await onHost(1, 'kill', '-9', pid);
    await waitFor('app to be restarted', async () => {
      const now = (await hostExec(1, ['systemctl', 'show', '-p', 'MainPID', '--value', 'app.service'])).stdout.trim();
      const active = (await hostExec(1, ['systemctl', 'is-active', 'app.service'])).stdout.trim();
      return active === 'active' && now !== '0' && now !== pid;
    });
  });

  test('a saved plan made stale by an out-of-band change is refused, naming host and resource', async () => {
    await onHost(2, 'chmod', '0600', '/opt/app/app.conf');
    const planFile = join(dir, 'saved.json');
    const p = await provision(['plan', play, '-i', inv, '--out', planFile], { env });
    assert.equal(p.code, 0, p.stderr);
    assert.ok(!readFileSync(planFile, 'utf8').includes(SECRET), 'saved plans hold no secrets');
    await onHost(2, 'chmod', '0644', '/opt/app/app.conf');
    const stale = await provision(['apply', planFile], { env });
    assert.equal(stale.code, 1);
    assert.match(stale.stdout, new RegExp(`${hn(2)} \\(file:/opt/app/app\\.conf\\): file:/opt/app/app\\.conf changed on the host since the plan was made`));
    assert.equal(await onHost(2, 'stat', '-c', '%a', '/opt/app/app.conf'), '644', 'nothing was applied to the stale host');
    // A fresh saved plan applies.
    const fresh = await provision(['plan', play, '-i', inv, '--out', planFile], { env });
    assert.equal(fresh.code, 0);
    const ok = await provision(['apply', planFile], { env });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.equal(await onHost(2, 'stat', '-c', '%a', '/opt/app/app.conf'), '640');
  });

  test('apply refuses to prompt when stdin is not a terminal', async () => {
    await onHost(3, 'chmod', '0600', '/opt/app/app.conf');
    const r = await provision(['apply', play, '-i', inv], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refusing to apply without confirmation/);
    assert.equal(await onHost(3, 'stat', '-c', '%a', '/opt/app/app.conf'), '600');
  });

  test('one unreachable host does not stop the others; the summary names it', async () => {
    const deadAddress = (fleet.hosts[0]?.address ?? '').replace(/\.\d+$/, '.250');
    const withDead = write('inventory-dead.yml', inventory().replace(`        ${hn(1)}:`, `        dead1: { address: ${deadAddress} }\n        ${hn(1)}:`));
    await onHost(1, 'chmod', '0600', '/opt/app/app.conf');
    const r = await provision(['apply', play, '-i', withDead, '--yes'], { env });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /1 host failed:\n {2}dead1 \(.*\): (no SSH connection within 3 s|no route to)/);
    assert.match(r.stdout, /on 3 of 4 hosts/);
    assert.equal(await onHost(1, 'stat', '-c', '%a', '/opt/app/app.conf'), '640');
    assert.equal(await onHost(3, 'stat', '-c', '%a', '/opt/app/app.conf'), '640');
  });

  test('an unknown host key is refused with its fingerprint', async () => {
    const empty = write('empty_known_hosts', '');
    const strict = write('inventory-strict.yml', inventory().replace(fleet.knownHostsPath, empty));
    const r = await provision(['plan', play, '-i', strict, '--limit', hn(1)], { env });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /SHA256:[A-Za-z0-9+/]{43}/);
  });

  test('become: a non-root login with passwordless sudo converges; one needing a password is refused clearly', async () => {
    for (const [user, rule] of [['deploy', 'NOPASSWD: ALL'], ['askpw', 'ALL']] as const) {
      await onHost(1, 'useradd', '--create-home', '--shell', '/bin/sh', user);
      await onHost(1, 'sh', '-c', `install -d -m700 -o ${user} -g ${user} /home/${user}/.ssh && install -m600 -o ${user} -g ${user} /root/.ssh/authorized_keys /home/${user}/.ssh/authorized_keys && echo '${user} ALL=(ALL) ${rule}' > /etc/sudoers.d/${user}`);
    }
    await onHost(1, 'chmod', '0600', '/opt/app/app.conf');
    const asDeploy = write('inventory-deploy.yml', inventory().replace('    user: root\n', '    user: deploy\n    become: true\n'));
    const r = await provision(['apply', play, '-i', asDeploy, '--limit', hn(1), '--yes'], { env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await onHost(1, 'stat', '-c', '%a', '/opt/app/app.conf'), '640');
    assert.equal((await planJson([play, '-i', asDeploy, '--limit', hn(1)])).code, 0);

    const asAskpw = write('inventory-askpw.yml', inventory().replace('    user: root\n', '    user: askpw\n    become: true\n'));
    const denied = await provision(['plan', play, '-i', asAskpw, '--limit', hn(1)], { env });
    assert.equal(denied.code, 1);
    assert.match(denied.stdout, /sudo needs a password/);
    assert.match(denied.stdout, /NOPASSWD/);
  });

  test('ssh_config aliases and ProxyJump through another host are honoured', async () => {
    const viaJump = write('inventory-jump.yml', `all:
  connection:
    ssh_config_file: ${fleet.sshConfigPath}
    proxy_jump: ${hn(1)}
  children:
    app:
      hosts:
        ${hn(2)}: {}
  vars: { greeting: hello, level: info }
`);
    const since = await onHost(2, 'date', '+%Y-%m-%d %H:%M:%S');
    const r = await planJson([play, '-i', viaJump]);
    assert.equal(r.code, 0, r.stderr + JSON.stringify(r.doc.hosts[0]?.error));
    const log = await onHost(2, 'journalctl', '-u', 'ssh.service', '--since', since, '-o', 'cat');
    assert.match(log, new RegExp(`Accepted publickey for root from ${escapeRe(fleet.hosts[0]?.address ?? '')} `), 'the target saw the connection come from the jump host');
  });

  test('after a reboot of its host the service runs again', async () => {
    await rebootHost(2);
    await waitFor('app after reboot', async () => (await hostExec(2, ['systemctl', 'is-active', 'app.service'])).stdout.trim() === 'active', 60000);
    assert.equal((await planJson([play, '-i', inv, '--limit', hn(2)])).code, 0);
  });
});
