/**
 * The file and directory modules against this machine: their real probe and apply commands run
 * through the batch script and LocalTransport in a temp directory, as the engine runs them.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sha256 } from '../../src/core/json.ts';
import { directoryModule, type DirectoryDesired } from '../../modules/directory/index.ts';
import { fileModule, type FileDesired } from '../../modules/file/index.ts';
import type { HostCommand, CommandResult, DiffResult, HostFacts, Module } from '../../src/core/types.ts';
import { asShellAll, runAsBatch } from '../support/commands.ts';
import { LocalTransport } from '../../src/transport/local.ts';

const facts: HostFacts = { os: 'linux', uid: process.getuid?.() ?? 1000, systemdVersion: null };
const isRoot = facts.uid === 0;
const transport = new LocalTransport({ host: 'localhost', become: null });

let root = '';
let canary = '';
/** Commands that would create a canary file if any shell ever evaluated them (no "/", so usable in a file name). */
const EVIL_NAME = `'$(touch pwned)' \`touch pwned\` "$(touch pwned)" ;touch pwned;`;
/** The canary is relative: it would appear in the working directory of whatever ran it. */
function noCanary(): void {
  assert.equal(existsSync(canary), false, 'the canary must never be created');
  assert.equal(existsSync('pwned'), false, 'the canary must never be created');
}
before(() => {
  root = mkdtempSync(join(tmpdir(), 'provision-file-live-'));
  canary = join(root, 'pwned');
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Run commands as one apply batch on this machine. */
const run = (commands: readonly HostCommand[]): Promise<CommandResult[]> => runAsBatch(transport, commands);

async function plan<D, C>(mod: Module<D, C>, desired: D): Promise<{ current: C; diff: DiffResult }> {
  const [result] = await run([mod.probe(desired)]);
  assert.ok(result);
  const current = mod.parse(result, desired, facts);
  return { current, diff: mod.diff(desired, current) };
}

/** Plan, apply every command (all must succeed), then plan again: it must show no changes. */
async function converge<D, C>(mod: Module<D, C>, desired: D): Promise<{ diff: DiffResult; commands: readonly HostCommand[] }> {
  const { current, diff } = await plan(mod, desired);
  assert.equal(diff.status, 'change', 'expected a change');
  if (diff.status !== 'change') throw new Error('unreachable');
  const commands = mod.apply(desired, current, diff);
  const results = await run(commands);
  assert.equal(results.length, commands.length);
  for (const r of results) assert.equal(r.code, 0, r.stderr.toString('utf8'));
  const again = await plan(mod, desired);
  assert.equal(again.diff.status, 'ok', JSON.stringify(again.diff));
  return { diff, commands };
}

/** Apply must fail: the stderr of the failing step. */
async function applyFails<D, C>(mod: Module<D, C>, desired: D): Promise<string> {
  const { current, diff } = await plan(mod, desired);
  assert.equal(diff.status, 'change');
  if (diff.status !== 'change') throw new Error('unreachable');
  const results = await run(mod.apply(desired, current, diff));
  const failed = results.find((r) => r.code !== 0);
  assert.ok(failed, 'expected a failing command');
  return failed.stderr.toString('utf8');
}

function adversarial(size: number): string {
  const pieces = [
    `'single' "double" \`touch ${canary}\` $(touch ${canary}) \${HOME} $HOME \\ \\\\n`,
    'EOF\n__EOF_0123456789ab\n<<EOF\n',
    '\n\n\n\n',
    'trailing spaces   \t \n',
    'ünïcødé ✓ 日本語 🚀 \r\n',
    '; rm -rf / | & > < * ? [ ] { } ~ # ! %s %n %%\n',
  ];
  let out = '';
  for (let i = 0; out.length < size; i++) out += `${i} ${pieces[i % pieces.length]}`;
  return out.slice(0, size).replace(/\n+$/, '') + ' no final newline  ';
}

describe('file module on this machine', () => {
  test('create, re-probe without changes, then a mode changed by hand is the only change', async () => {
    const path = join(root, 'app.conf');
    const desired: FileDesired = { path, content: 'listen = 8080\n', mode: '0640' };
    await converge(fileModule, desired);
    assert.equal(readFileSync(path, 'utf8'), 'listen = 8080\n');
    assert.equal(statSync(path).mode & 0o7777, 0o640);

    const inode = statSync(path).ino;
    chmodSync(path, 0o600);
    const { diff, commands } = await converge(fileModule, desired);
    assert.deepEqual(diff, { status: 'change', action: 'update', changes: [{ attribute: 'mode', before: '0600', after: '0640' }] });
    assert.deepEqual(asShellAll(commands).map((c) => c.argv[0]), ['chmod']);
    assert.equal(statSync(path).ino, inode, 'a mode change must not rewrite the file');
  });

  test('adversarial content of 200 KB arrives byte-exact at an adversarial path, and nothing in it runs', async () => {
    const path = join(root, `we ird ${EVIL_NAME}\nname.conf`);
    const content = adversarial(200 * 1024);
    assert.ok(Buffer.byteLength(content) <= 262144 && !content.endsWith('\n'));
    await converge(fileModule, { path, content });
    assert.ok(readFileSync(path).equals(Buffer.from(content)), 'content must be byte-exact');
    noCanary();
  });

  test('content over 256 KiB is compared by sha256 and rewritten when it drifts', async () => {
    const path = join(root, 'large.txt');
    const content = adversarial(300 * 1024);
    await converge(fileModule, { path, content });
    assert.ok(readFileSync(path).equals(Buffer.from(content)));
    writeFileSync(path, content + 'x');
    const { diff } = await converge(fileModule, { path, content });
    assert.equal(diff.status, 'change');
    const [change] = diff.status === 'change' ? diff.changes : [];
    assert.equal(change?.attribute, 'content');
    assert.match(String(change?.before), /^sha256:[0-9a-f]{64}$/);
    assert.match(String(change?.after), /^sha256:[0-9a-f]{64}$/);
    assert.ok(readFileSync(path).equals(Buffer.from(content)));
    noCanary();
  });

  test('a file that is not UTF-8 is read and replaced; its content is shown as a digest', async () => {
    const path = join(root, 'binary');
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0xc3]);
    writeFileSync(path, bytes);
    const { diff } = await converge(fileModule, { path, content: 'text\n' });
    assert.deepEqual(diff.status === 'change' && diff.changes, [{ attribute: 'content', before: `sha256:${sha256(bytes)}`, after: 'text\n' }]);
    assert.equal(readFileSync(path, 'utf8'), 'text\n');
  });

  test('a content rewrite keeps the unmanaged owner, group and mode; no temp file is left behind', async () => {
    assert.ok(isRoot, 'this test changes ownership and needs root (CI runs as root)');
    const dir = join(root, 'keep');
    mkdirSync(dir);
    const path = join(dir, 'conf');
    writeFileSync(path, 'old\n', { mode: 0o600 });
    chmodSync(path, 0o4711);
    const { commands } = await converge(fileModule, { path, content: 'new\n', owner: '33' });
    assert.deepEqual(asShellAll(commands).map((c) => c.argv[0]), ['sh']);
    const st = statSync(path);
    assert.equal(st.uid, 33);
    assert.equal(st.gid, 0);
    assert.equal(st.mode & 0o7777, 0o4711, 'setuid survives the owner change because chmod runs after chown');
    assert.equal(readFileSync(path, 'utf8'), 'new\n');
    assert.deepEqual(readdirSync(dir), ['conf']);
  });

  test('a missing parent directory fails clearly instead of being created', async () => {
    const path = join(root, 'missing', 'conf');
    const stderr = await applyFails(fileModule, { path, content: 'x\n' });
    assert.match(stderr, /directory .*missing does not exist/);
    assert.equal(existsSync(join(root, 'missing')), false);
  });

  test('a directory or symlink at the path is refused, not replaced or followed', async () => {
    const dir = join(root, 'is-a-dir');
    mkdirSync(dir);
    assert.match(await applyFails(fileModule, { path: dir, content: 'x\n' }), /is a directory, not a file/);
    assert.ok(statSync(dir).isDirectory());

    const target = join(root, 'link-target');
    writeFileSync(target, 'target\n');
    const link = join(root, 'link');
    symlinkSync(target, link);
    assert.match(await applyFails(fileModule, { path: link, content: 'x\n' }), /is a symlink, not a file/);
    assert.equal(readFileSync(target, 'utf8'), 'target\n');
    assert.ok(lstatSync(link).isSymbolicLink());
  });

  test('ensure absent deletes the file; a second run has nothing to do', async () => {
    const path = join(root, 'gone');
    writeFileSync(path, 'bye\n');
    await converge(fileModule, { path, ensure: 'absent' });
    assert.equal(existsSync(path), false);
  });
});

describe('directory module on this machine', () => {
  test('create with missing parents, then a setgid bit and mode set by hand are put back', async () => {
    const path = join(root, 'a', 'b', `c ${EVIL_NAME}`);
    const desired: DirectoryDesired = { path, mode: '0750', ...(isRoot ? { owner: 'www-data', group: '33' } : {}) };
    await converge(directoryModule, desired);
    assert.ok(statSync(path).isDirectory());
    assert.equal(statSync(path).mode & 0o7777, 0o750);

    chmodSync(path, 0o2770);
    const { diff } = await converge(directoryModule, desired);
    assert.deepEqual(diff, { status: 'change', action: 'update', changes: [{ attribute: 'mode', before: '2770', after: '0750' }] });
    assert.equal(statSync(path).mode & 0o7777, 0o750);
    noCanary();
  });

  test('parents: false fails when the parent is missing', async () => {
    const stderr = await applyFails(directoryModule, { path: join(root, 'nope', 'child'), parents: false });
    assert.match(stderr, /No such file or directory/);
  });

  test('ensure absent removes a tree, but refuses a symlink and leaves its target alone', async () => {
    const path = join(root, 'tree');
    mkdirSync(join(path, 'sub'), { recursive: true });
    writeFileSync(join(path, 'sub', 'f'), 'x');
    await converge(directoryModule, { path, ensure: 'absent' });
    assert.equal(existsSync(path), false);

    const target = join(root, 'precious');
    mkdirSync(target);
    writeFileSync(join(target, 'keep'), 'keep');
    const link = join(root, 'tree-link');
    symlinkSync(target, link);
    assert.match(await applyFails(directoryModule, { path: link, ensure: 'absent' }), /is a symlink, not a directory/);
    assert.equal(readFileSync(join(target, 'keep'), 'utf8'), 'keep');
  });

  test('a regular file at the path is refused', async () => {
    const path = join(root, 'plain');
    writeFileSync(path, 'x');
    assert.match(await applyFails(directoryModule, { path }), /is a file, not a directory/);
    assert.ok(statSync(path).isFile());
  });
});
