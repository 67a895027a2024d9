/**
 * The acl module against this machine: its real probe and apply commands run through the batch
 * script and LocalTransport in a temp directory, as the engine runs them, checked with getfacl.
 * As root it also creates accounts with adversarial names (and removes them afterwards).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { aclModule, type AclCurrent, type AclDesired } from '../../modules/acl/index.ts';
import type { HostCommand, CommandResult, DiffResult, HostFacts } from '../../src/core/types.ts';
import { asShell, asShellAll, runAsBatch } from '../support/commands.ts';
import { LocalTransport } from '../../src/transport/local.ts';

const facts: HostFacts = { os: 'linux', uid: process.getuid?.() ?? 1000, systemdVersion: null };
const isRoot = facts.uid === 0;
const transport = new LocalTransport({ host: 'localhost', become: null });
const hasAcl = spawnSync('sh', ['-c', 'command -v setfacl && command -v getfacl && command -v chacl']).status === 0;

/** Accounts every Debian system has. */
const USER = 'daemon';
const GROUP = 'staff';
/** Created as root for the adversarial tests: shell syntax, quotes, a backslash before digits, ",", space, non-ASCII. */
const EVIL_USER = `$(touch pwned);\`id\`'"`;
const ODD_GROUP = 'x,y\\040z jürgen';

let root = '';
const created: string[] = [];

function noCanary(): void {
  assert.equal(existsSync('pwned'), false, 'the canary must never be created');
  assert.equal(existsSync(join(root, 'pwned')), false, 'the canary must never be created');
}

/** A temp dir on a filesystem with ACLs: the usual one, else /dev/shm. */
function aclTempDir(): string {
  for (const base of [tmpdir(), '/dev/shm']) {
    const dir = mkdtempSync(join(base, 'provision-acl-live-'));
    if (spawnSync('setfacl', ['-m', `u:${USER}:r`, '--', dir]).status === 0) {
      execFileSync('setfacl', ['-b', '--', dir]);
      return dir;
    }
    rmSync(dir, { recursive: true, force: true });
  }
  throw new Error('no filesystem with POSIX ACL support found for the test');
}

/** useradd, retried while another process holds the lock on /etc/passwd. */
function addAccount(name: string, ...options: string[]): void {
  for (let attempt = 1; ; attempt++) {
    const r = spawnSync('useradd', ['--badname', '-M', '-s', '/usr/sbin/nologin', ...options, '--', name], { encoding: 'utf8' });
    if (r.status === 0) break;
    if (attempt === 10 || !/lock/i.test(r.stderr)) throw new Error(`useradd ${name}: ${r.stderr}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
  }
  created.push(name);
}

before(() => {
  if (!hasAcl) return;
  root = aclTempDir();
  if (isRoot) {
    addAccount(EVIL_USER, '-N');
    // -U: groupadd has no --badname, but the user's own group gets the same name.
    addAccount(ODD_GROUP, '-U');
  }
});
after(() => {
  for (const name of created) {
    for (let attempt = 1; attempt <= 10 && /lock/i.test(spawnSync('userdel', ['--', name], { encoding: 'utf8' }).stderr); attempt++) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    }
  }
  if (root !== '') rmSync(root, { recursive: true, force: true });
});

/** Run commands as one apply batch on this machine. */
const run = (commands: readonly HostCommand[]): Promise<CommandResult[]> => runAsBatch(transport, commands);

async function plan(desired: AclDesired): Promise<{ current: AclCurrent; diff: DiffResult }> {
  assert.deepEqual(aclModule.check?.(desired) ?? [], []);
  const [result] = await run([aclModule.probe(desired)]);
  assert.ok(result);
  const current = aclModule.parse(result, desired, facts);
  return { current, diff: aclModule.diff(desired, current) };
}

/** Apply what a plan decided (every command must succeed), then plan again: no changes. */
async function applyPlanned(desired: AclDesired, planned: { current: AclCurrent; diff: DiffResult }): Promise<readonly HostCommand[]> {
  const { current, diff } = planned;
  assert.equal(diff.status, 'change', 'expected a change');
  if (diff.status !== 'change') throw new Error('unreachable');
  const commands = aclModule.apply(desired, current, diff);
  const results = await run(commands);
  assert.equal(results.length, commands.length);
  for (const r of results) assert.equal(r.code, 0, r.stderr.toString('utf8'));
  const again = await plan(desired);
  assert.equal(again.diff.status, 'ok', JSON.stringify(again.diff));
  return commands;
}

async function converge(desired: AclDesired): Promise<{ diff: DiffResult; commands: readonly HostCommand[] }> {
  const planned = await plan(desired);
  return { diff: planned.diff, commands: await applyPlanned(desired, planned) };
}

/** getfacl's own view, numeric, without comments. */
function getfacl(path: string): string[] {
  return execFileSync('getfacl', ['-p', '-n', '-E', '--omit-header', '--', path], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

function uid(name: string): number {
  return Number(execFileSync('id', ['-u', '--', name], { encoding: 'utf8' }).trim());
}
function gid(name: string): number {
  return Number(execFileSync('getent', ['group', '--', name], { encoding: 'utf8' }).split(':')[2]);
}

describe('acl module on this machine', () => {
  test('prerequisites: root and the acl tools (.ci/run installs them)', () => {
    assert.ok(hasAcl, 'getfacl/setfacl/chacl are not installed (apt-get install acl)');
    assert.ok(isRoot, 'the live ACL tests create accounts and need root');
  });

  test('exact mode removes an entry added by hand, and only that', async () => {
    const path = join(root, 'exact');
    mkdirSync(path);
    const desired: AclDesired = { path, mode: 'exact', entries: [{ type: 'user', name: USER, perms: 'rwx' }] };
    await converge(desired);
    execFileSync('setfacl', ['-m', `g:${GROUP}:rx`, '--', path]);
    const { diff, commands } = await converge(desired);
    assert.deepEqual(diff, { status: 'change', action: 'update', changes: [{ attribute: `entries.group:${GROUP}`, before: 'r-x', after: undefined }] });
    assert.deepEqual(asShellAll(commands).map((c) => c.argv), [['setfacl', '-x', `g:${gid(GROUP)}`, '-m', `u:${USER}:rwx`, '--', path]]);
    assert.deepEqual(getfacl(path), ['user::rwx', `user:${uid(USER)}:rwx`, 'group::r-x', 'mask::rwx', 'other::r-x']);
  });

  test('"r", "r--" and "4" are one permission set: no false changes', async () => {
    const path = join(root, 'spellings');
    writeFileSync(path, '');
    await converge({ path, entries: [{ type: 'user', name: USER, perms: 'r' }] });
    for (const perms of ['r--', '4', 'r']) {
      const { diff } = await plan({ path, entries: [{ type: 'user', name: USER, perms }] });
      assert.equal(diff.status, 'ok', `${perms}: ${JSON.stringify(diff)}`);
    }
  });

  test('default entries make new files and directories inherit them', async () => {
    const path = join(root, 'inherit');
    mkdirSync(path);
    const desired: AclDesired = {
      path,
      default_entries: [
        { type: 'user', name: USER, perms: 'rwx' },
        { type: 'group', name: GROUP, perms: 'r-x' },
      ],
    };
    await converge(desired);
    writeFileSync(join(path, 'new-file'), 'x');
    mkdirSync(join(path, 'new-dir'));
    const file = getfacl(join(path, 'new-file'));
    assert.ok(file.includes(`user:${uid(USER)}:rwx`), file.join('\n'));
    assert.ok(file.includes(`group:${gid(GROUP)}:r-x`), file.join('\n'));
    const dir = getfacl(join(path, 'new-dir'));
    assert.ok(dir.includes(`default:user:${uid(USER)}:rwx`), 'a new directory inherits the default ACL as its own default ACL');
    // The module reads the new file the same way. Its mask comes from the mode it was created
    // with (0666 & ~umask), so the inherited entries are not fully effective, and the plan says so.
    const inherited = await plan({ path: join(path, 'new-file'), entries: [{ type: 'user', name: USER, perms: '7' }, { type: 'group', name: GROUP, perms: '5' }] });
    assert.deepEqual(inherited.diff.status === 'change' && inherited.diff.changes, [
      { attribute: `entries.user:${USER}`, before: 'rwx (effective rw-)', after: 'rwx' },
      { attribute: `entries.group:${GROUP}`, before: 'r-x (effective r--)', after: 'r-x' },
    ]);
  });

  test('an unlisted mask is recalculated; a listed one is set as given', async () => {
    const path = join(root, 'mask');
    writeFileSync(path, 'secret');
    const desired: AclDesired = { path, entries: [{ type: 'user', name: USER, perms: 'rw' }] };
    await converge(desired);
    execFileSync('chmod', ['0600', '--', path]); // the group bits are the mask: now ---
    const { diff } = await converge(desired);
    assert.deepEqual(diff, { status: 'change', action: 'update', changes: [{ attribute: `entries.user:${USER}`, before: 'rw- (effective ---)', after: 'rw-' }] });
    assert.ok(getfacl(path).includes('mask::rw-'));

    const listed: AclDesired = { path, entries: [{ type: 'user', name: USER, perms: 'rw' }, { type: 'mask', perms: 'r' }] };
    const { commands } = await converge(listed);
    assert.equal(asShell(commands[0]).argv[1], '-n');
    assert.ok(getfacl(path).includes('mask::r--'));
    assert.equal((await plan(listed)).diff.status, 'ok');
  });

  test('ensure absent leaves only the mode bits', async () => {
    const path = join(root, 'absent');
    mkdirSync(path);
    execFileSync('setfacl', ['-m', `u:${USER}:rwx`, '-d', '-m', `g:${GROUP}:rx`, '--', path]);
    await converge({ path, ensure: 'absent' });
    assert.deepEqual(getfacl(path), ['user::rwx', 'group::r-x', 'other::r-x']);
  });

  test('a path missing at plan time is applied once it exists, without what it inherited (exact)', async () => {
    const parent = join(root, 'parent');
    mkdirSync(parent);
    execFileSync('setfacl', ['-d', '-m', `g:${GROUP}:rwx`, '--', parent]);
    const path = join(parent, 'child');
    const desired: AclDesired = { path, mode: 'exact', entries: [{ type: 'user', name: USER, perms: 'rx' }], default_entries: [{ type: 'user', name: USER, perms: 'rx' }] };
    const planned = await plan(desired);
    assert.equal(planned.diff.status === 'change' && planned.diff.action, 'create');
    mkdirSync(path); // what the directory resource it depends on does first
    await applyPlanned(desired, planned);
    const acl = getfacl(path);
    assert.equal(acl.some((l) => l.includes(`:${gid(GROUP)}:`)), false, acl.join('\n'));

    // Never made: the apply fails and says why.
    const gone: AclDesired = { path: join(root, 'never'), entries: [{ type: 'user', name: USER, perms: 'r' }] };
    const p = await plan(gone);
    assert.ok(p.diff.status === 'change');
    const [r] = await run(aclModule.apply(gone, p.current, p.diff));
    assert.notEqual(r?.code, 0);
    assert.match(r?.stderr.toString('utf8') ?? '', /does not exist: .*declare a file or directory resource/);
  });

  test('recursive applies below the directory; only the directory itself is compared', async () => {
    const path = join(root, 'tree');
    mkdirSync(join(path, 'sub'), { recursive: true });
    writeFileSync(join(path, 'sub', 'file'), 'x');
    await converge({ path, recursive: true, entries: [{ type: 'group', name: GROUP, perms: 'r-x' }] });
    assert.ok(getfacl(join(path, 'sub', 'file')).includes(`group:${gid(GROUP)}:r-x`));
  });

  test('a symbolic link is refused and its target left alone', async () => {
    const target = join(root, 'target');
    writeFileSync(target, '');
    const link = join(root, 'link');
    symlinkSync(target, link);
    const desired: AclDesired = { path: link, entries: [{ type: 'user', name: USER, perms: 'r' }] };
    const p = await plan(desired);
    assert.ok(p.diff.status === 'change');
    const [r] = await run(aclModule.apply(desired, p.current, p.diff));
    assert.match(r?.stderr.toString('utf8') ?? '', /is a symbolic link/);
    assert.equal(getfacl(target).length, 3);
  });

  test('a filesystem without ACL support is an error that says so', async () => {
    await assert.rejects(plan({ path: '/proc/version', entries: [{ type: 'user', name: USER, perms: 'r' }] }), /does not support POSIX ACLs/);
  });

  test('adversarial-but-valid names reach setfacl intact, and nothing in them runs', async () => {
    const path = join(root, `odd ${EVIL_USER} dir`);
    mkdirSync(path);
    const desired: AclDesired = {
      path,
      mode: 'exact',
      entries: [
        { type: 'user', name: EVIL_USER, perms: 'rwx' },
        { type: 'group', name: ODD_GROUP, perms: 'rx' },
      ],
      default_entries: [{ type: 'group', name: ODD_GROUP, perms: 'r' }],
    };
    const { diff } = await converge(desired);
    assert.deepEqual(diff.status === 'change' && diff.changes.map((c) => c.attribute), [
      `entries.user:${EVIL_USER}`,
      `entries.group:${ODD_GROUP}`,
      `default_entries.group:${ODD_GROUP}`,
    ]);
    const acl = getfacl(path);
    assert.ok(acl.includes(`user:${uid(EVIL_USER)}:rwx`), acl.join('\n'));
    assert.ok(acl.includes(`group:${gid(ODD_GROUP)}:r-x`), acl.join('\n'));
    assert.ok(acl.includes(`default:group:${gid(ODD_GROUP)}:r--`), acl.join('\n'));
    // Read back by name: the probe unescapes getfacl's "\\" and "\054"/"\040".
    const { current } = await plan(desired);
    assert.ok(current.exists && current.type !== 'symlink');
    assert.deepEqual(current.entries.filter((e) => e.name !== undefined).map((e) => e.name), [EVIL_USER, ODD_GROUP]);
    // Exact removal by id works for them too.
    const { diff: removal } = await converge({ ...desired, entries: [{ type: 'user', name: EVIL_USER, perms: 'rwx' }] });
    assert.deepEqual(removal.status === 'change' && removal.changes.map((c) => c.attribute), [`entries.group:${ODD_GROUP}`]);
    noCanary();
  });
});
