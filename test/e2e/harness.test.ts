// End-to-end check of the test-host harness itself (test/harness/hosts.sh + hosts.ts):
// real Debian 12 hosts with systemd as PID 1 and sshd, booted with systemd-nspawn.
// Needs root and the tools listed by harnessPrerequisites(); it fails (never skips) without them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bootHosts,
  harnessPrerequisites,
  HOSTS_SCRIPT,
  hostExec,
  rebootHost,
  shutdownHosts,
  type ExecResult,
  type TestFleet,
  type TestHost,
} from '../harness/hosts.ts';

const missing = harnessPrerequisites();
let fleet: TestFleet | undefined;

/** Run the real `ssh` client with the fleet's generated ssh_config (strict host key checking). */
function ssh(f: TestFleet, host: TestHost, remote: string, extraOptions: string[] = []): Promise<ExecResult> {
  const args = ['-F', f.sshConfigPath, '-n', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', ...extraOptions, host.name, remote];
  return new Promise((resolve, reject) => {
    execFile('ssh', args, { encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) => {
      if (error === null) {
        resolve({ code: 0, stdout, stderr });
      } else if (typeof error.code === 'number') {
        resolve({ code: error.code, stdout, stderr });
      } else {
        reject(new Error(`ssh ${args.join(' ')}: ${error.message}\n${stderr}`));
      }
    });
  });
}

function requireFleet(): TestFleet {
  assert.ok(fleet !== undefined, 'test hosts were not booted (see the failure of the before hook)');
  return fleet;
}

function hostAt(f: TestFleet, index: number): TestHost {
  const h = f.hosts[index - 1];
  assert.ok(h !== undefined, `no host ${index}`);
  return h;
}

async function execOk(index: number, cmd: string[]): Promise<string> {
  const r = await hostExec(index, cmd);
  assert.equal(r.code, 0, `host ${index}: ${cmd.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  assert.deepEqual(missing, [], `the e2e test hosts cannot run on this machine; missing: ${missing.join('; ')}`);
  const t0 = Date.now();
  fleet = await bootHosts(2);
  console.log(`booted ${fleet.hosts.length} test hosts in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
});

after(async () => {
  if (missing.length === 0) await shutdownHosts();
});

test('hosts.json describes the booted hosts', () => {
  const f = requireFleet();
  assert.deepEqual(f.hosts.map((h) => h.name), ['th1', 'th2']);
  assert.equal(new Set(f.hosts.map((h) => h.address)).size, 2);
  assert.notEqual(hostAt(f, 1).hostKey, hostAt(f, 2).hostKey, 'every host has its own host key');
  const knownHosts = readFileSync(f.knownHostsPath, 'utf8');
  for (const h of f.hosts) {
    assert.equal(h.port, 22);
    assert.equal(h.user, 'root');
    assert.match(h.hostKey, /^ssh-ed25519 AAAA/);
    assert.ok(knownHosts.includes(`${h.address} ${h.hostKey}`), `known_hosts lists ${h.name}'s key`);
  }
});

test('ssh login works with strict host key checking (generated ssh_config + known_hosts)', async () => {
  const f = requireFleet();
  for (const h of f.hosts) {
    const r = await ssh(f, h, 'hostname; id -u', ['-o', 'StrictHostKeyChecking=yes']);
    assert.equal(r.code, 0, `ssh ${h.name} failed: ${r.stderr}`);
    assert.equal(r.stdout, `${h.name}\n0\n`);
  }
  // and the checking is real: host 2's key listed for host 1's address must be refused
  const dir = mkdtempSync(join(tmpdir(), 'provision-e2e-'));
  try {
    const wrong = join(dir, 'known_hosts');
    writeFileSync(wrong, `${hostAt(f, 1).address} ${hostAt(f, 2).hostKey}\n`);
    const r = await ssh(f, hostAt(f, 1), 'true', ['-o', `UserKnownHostsFile=${wrong}`]);
    assert.notEqual(r.code, 0, 'ssh must refuse a host whose key does not match known_hosts');
    assert.match(r.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('systemd is PID 1 and the system is running (not degraded)', async (t) => {
  const f = requireFleet();
  for (const h of f.hosts) {
    const r = await ssh(f, h, 'systemctl is-system-running --wait');
    const state = r.stdout.trim();
    let failed = '';
    if (state !== 'running') {
      failed = (await ssh(f, h, 'systemctl --failed --no-pager --full; journalctl -b -p warning --no-pager | tail -n 30')).stdout;
      t.diagnostic(`${h.name} is ${state}:\n${failed}`);
    }
    assert.equal(state, 'running', `${h.name}: systemctl is-system-running = ${state}\n${failed}`);
    assert.equal((await ssh(f, h, 'ps -o comm= -p 1')).stdout.trim(), 'systemd');
  }
});

test('hostExec runs commands inside a host without ssh', async () => {
  requireFleet();
  assert.equal(await execOk(1, ['hostname']), 'th1\n');
  assert.equal(await execOk(2, ['hostname']), 'th2\n');
  // in the host's PID namespace: PID 1 is the host's systemd
  assert.equal((await execOk(1, ['ps', '-o', 'comm=', '-p', '1'])).trim(), 'systemd');
  // in the host's network namespace: its own address
  assert.match(await execOk(2, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'host0']), /inet 10\.77\.0\.12\//);
  // stdout, stderr and exit code come through separately; arguments are passed verbatim
  const r = await hostExec(2, ['sh', '-c', 'echo "out $1"; echo err >&2; exit 3', 'sh', 'a  b;$x']);
  assert.deepEqual(r, { code: 3, stdout: 'out a  b;$x\n', stderr: 'err\n' });
  // a host that is not running is an error, not an exit code
  await assert.rejects(hostExec(9, ['true']), /th9 is not running/);
});

test('hosts are isolated from each other', async () => {
  const f = requireFleet();
  const token = randomBytes(8).toString('hex');
  const path = '/root/isolation-probe';
  await execOk(1, ['sh', '-c', 'printf %s "$1" > "$2"', 'sh', token, path]);
  assert.equal(await execOk(1, ['cat', path]), token);
  assert.equal((await hostExec(2, ['test', '-e', path])).code, 1, 'host 2 must not see host 1 files');
  assert.equal((await ssh(f, hostAt(f, 2), `test -e ${path}`)).code, 1);
  // processes: a process started on host 1 is not visible on host 2
  await execOk(1, ['systemd-run', '--unit=isolation-sleeper', '/bin/sleep', '600']);
  assert.equal((await hostExec(1, ['pgrep', '-x', 'sleep'])).code, 0);
  assert.equal((await hostExec(2, ['pgrep', '-x', 'sleep'])).code, 1, 'host 2 must not see host 1 processes');
  await execOk(1, ['systemctl', 'stop', 'isolation-sleeper']);
  // identity
  const ids = await Promise.all([execOk(1, ['cat', '/etc/machine-id']), execOk(2, ['cat', '/etc/machine-id'])]);
  assert.notEqual(ids[0], ids[1], 'machine-ids differ');
});

test('an enabled systemd unit survives a reboot', async (t) => {
  const f = requireFleet();
  const unit = 'provision-e2e-probe.service';
  const unitText = [
    '[Unit]',
    'Description=provision e2e reboot probe',
    '',
    '[Service]',
    'User=nobody',
    'ExecStart=/bin/sleep infinity',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
  await execOk(1, ['sh', '-c', 'printf %s "$1" > "$2"', 'sh', unitText, `/etc/systemd/system/${unit}`]);
  await execOk(1, ['systemctl', 'enable', '--now', unit]);
  assert.equal((await execOk(1, ['systemctl', 'is-active', unit])).trim(), 'active');
  const pidBefore = (await execOk(1, ['systemctl', 'show', '-P', 'MainPID', unit])).trim();
  const bootAgeBefore = Number((await execOk(1, ['ps', '-o', 'etimes=', '-p', '1'])).trim());
  const host2AgeBefore = Number((await execOk(2, ['ps', '-o', 'etimes=', '-p', '1'])).trim());

  const t0 = Date.now();
  await rebootHost(1);
  const took = (Date.now() - t0) / 1000;
  t.diagnostic(`reboot of th1 took ${took.toFixed(1)}s`);

  // a new PID 1 (its own age; /proc/uptime inside a container is the machine's)
  const bootAge = Number((await execOk(1, ['ps', '-o', 'etimes=', '-p', '1'])).trim());
  assert.ok(bootAge <= Math.ceil(took) + 1, `PID 1 is ${bootAge}s old after a ${took}s reboot (was ${bootAgeBefore}s)`);
  assert.equal((await execOk(1, ['systemctl', 'is-enabled', unit])).trim(), 'enabled');
  assert.equal((await execOk(1, ['systemctl', 'is-active', unit])).trim(), 'active');
  assert.equal((await execOk(1, ['systemctl', 'show', '-P', 'User', unit])).trim(), 'nobody');
  assert.notEqual((await execOk(1, ['systemctl', 'show', '-P', 'MainPID', unit])).trim(), pidBefore);
  // the rebooted host keeps its files and host key: strict ssh still works, state is 'running'
  assert.equal((await execOk(1, ['test', '-f', '/root/isolation-probe'])), '');
  const r = await ssh(f, hostAt(f, 1), 'systemctl is-system-running --wait');
  assert.equal(r.stdout.trim(), 'running', `after reboot: ${r.stdout}${r.stderr}`);
  // host 2 was not touched
  const host2Age = Number((await execOk(2, ['ps', '-o', 'etimes=', '-p', '1'])).trim());
  assert.ok(host2Age >= host2AgeBefore, `host 2's PID 1 restarted too (${host2AgeBefore}s -> ${host2Age}s)`);
});

test('a subnet another interface already uses is refused before anything is set up', async () => {
  const state = mkdtempSync(join(tmpdir(), 'provision-harness-collision-'));
  const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile('bash', [HOSTS_SCRIPT, 'up', '1'], { encoding: 'utf8', env: { ...process.env, TESTHOSTS_STATE: state, TESTHOSTS_NET: '127.0.0', TESTHOSTS_PREFIX: 'zc' } }, (error, _stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stderr });
    });
  });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /subnet 127\.0\.0\.0\/24 is already used by interface lo; pick another with TESTHOSTS_NET/);
  const bridge = await new Promise<string>((resolve) => execFile('ip', ['link', 'show', 'zcbr0'], (_e, out) => resolve(out)));
  assert.equal(bridge, '', 'no bridge was created');
  rmSync(state, { recursive: true, force: true });
});
