/**
 * The Linux lock and ledger scripts, run by a real sh on this machine in a temp directory: who
 * takes the lock, who may release it, what a refused taker learns, and the ledger's atomic,
 * root-only (0600) writes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Command, CommandResult } from '../../src/core/types.ts';
import { linuxHostState } from '../../src/engine/host-state-linux.ts';
import { describeHolder, LOCK_HELD_EXIT, parseLockAttempt, type LockHolder } from '../../src/engine/host-state.ts';
import { tempFiles } from './helpers.ts';

/** As the batch script runs a step: with umask 022. */
function run(c: Command): CommandResult {
  const r = spawnSync('sh', ['-c', 'umask 022; exec "$@"', 'sh', ...c.argv], { input: c.stdin ?? '' });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

const holder = (run: string, controller = 'ops@laptop'): LockHolder => ({ controller, pid: 1234, since: '2026-11-25T10:00:00.000Z', run });

describe('host state scripts (Linux, real sh)', () => {
  test('the lock: taken once; a second run is refused and told the holder; the same run may take it again', () => {
    const dir = join(tempFiles({}), 'state');
    const s = linuxHostState(dir);
    assert.deepEqual(parseLockAttempt(run(s.acquireLock(holder('aaa')))), { taken: true });
    assert.equal(statSync(s.lockPath).mode & 0o777, 0o700);
    const second = run(s.acquireLock(holder('bbb', 'ci@runner')));
    assert.equal(second.code, LOCK_HELD_EXIT);
    const attempt = parseLockAttempt(second);
    assert.equal(attempt.taken, false);
    assert.ok(!attempt.taken && attempt.holder);
    assert.equal(describeHolder(attempt.taken ? null : attempt.holder), 'ops@laptop (pid 1234) since 2026-11-25T10:00:00.000Z');
    assert.deepEqual(parseLockAttempt(run(s.acquireLock(holder('aaa')))), { taken: true }, 're-entrant for the same run');
  });

  test('release: only by the run that holds it; break removes it whoever holds it', () => {
    const dir = join(tempFiles({}), 'state');
    const s = linuxHostState(dir);
    run(s.acquireLock(holder('aaa')));
    assert.equal(run(s.releaseLock('bbb')).code, 0);
    assert.ok(existsSync(s.lockPath), 'another run cannot release it');
    assert.equal(run(s.releaseLock('aaa')).code, 0);
    assert.ok(!existsSync(s.lockPath));
    assert.equal(run(s.releaseLock('aaa')).code, 0, 'releasing a free lock is fine');
    run(s.acquireLock(holder('ccc', 'ci@runner')));
    const broken = run(s.breakLock());
    assert.equal(broken.code, 0);
    assert.match(broken.stdout.toString(), /"controller":"ci@runner"/);
    assert.ok(!existsSync(s.lockPath));
    assert.deepEqual(parseLockAttempt(run(s.acquireLock(holder('ddd')))), { taken: true });
  });

  test('a lock whose holder record is missing (taker died mid-way) is still refused, and says so', () => {
    const dir = join(tempFiles({}), 'state');
    const s = linuxHostState(dir);
    mkdirSync(s.lockPath, { recursive: true });
    const attempt = parseLockAttempt(run(s.acquireLock(holder('aaa'))));
    assert.equal(attempt.taken, false);
    assert.match(describeHolder(attempt.taken ? null : attempt.holder), /holder record is missing/);
  });

  test('a lock that cannot be tried at all is an error with the host\'s message', () => {
    const base = tempFiles({ blocker: 'a file, not a directory' });
    const s = linuxHostState(join(base, 'blocker', 'state'));
    assert.throws(() => parseLockAttempt(run(s.acquireLock(holder('aaa')))), /taking the lock failed with exit code 4/);
  });

  test('the ledger: none yet reads as empty; writes replace it atomically, mode 0600, no temp files left', () => {
    const dir = join(tempFiles({}), 'state');
    const s = linuxHostState(dir);
    const none = run(s.readLedger());
    assert.equal(none.code, 0);
    assert.equal(none.stdout.toString(), '');
    assert.equal(run(s.writeLedger('{"v":1}\n')).code, 0);
    assert.equal(run(s.writeLedger('{"v":2}\n')).code, 0);
    assert.equal(readFileSync(s.ledgerPath, 'utf8'), '{"v":2}\n');
    assert.equal(run(s.readLedger()).stdout.toString(), '{"v":2}\n');
    assert.equal(statSync(s.ledgerPath).mode & 0o777, 0o600);
    // The directory stays reachable: services keep their own state below it (a respawn wrapper
    // running as the service's user writes its pid file under /var/lib/provision/service).
    assert.equal(statSync(dir).mode & 0o777, 0o755);
    assert.deepEqual(readdirSync(dir).sort(), ['ledger.json']);
  });

  test('a ledger path that is not a file is refused with a message; nothing is left behind', () => {
    const dir = join(tempFiles({}), 'state');
    const s = linuxHostState(dir);
    mkdirSync(s.ledgerPath, { recursive: true });
    const r = run(s.writeLedger('{"v":9}\n'));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr.toString(), /ledger\.json is a directory/);
    assert.deepEqual(readdirSync(dir), ['ledger.json']);
    assert.deepEqual(readdirSync(s.ledgerPath), []);
  });
});
