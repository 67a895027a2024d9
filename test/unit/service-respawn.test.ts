/**
 * The respawn wrapper run for real on this machine (short delays): restart policies, backoff,
 * start limit, TERM forwarding, pid file and single instance; plus spec render -> parse round trips.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RESPAWN_SCRIPT } from '../../modules/service/respawn.ts';
import { flatSpec, parseSpec, renderSpec, type SpecModel } from '../../modules/service/spec.ts';

const dir = mkdtempSync(join(tmpdir(), 'respawn-'));
const wrapper = join(dir, 'respawn');
writeFileSync(wrapper, RESPAWN_SCRIPT, { mode: 0o755 });

function spec(name: string, program: string, m: Partial<SpecModel>): string {
  const model: SpecModel = {
    command: ['/bin/sh', '-c', program, 'prog'],
    environment: { GREETING: "it's a \"test\" $HOME %n" },
    'log.destination': 'files',
    'log.directory': dir,
    'restart.policy': 'on-failure',
    'restart.delay': 0.1,
    'restart.burst': 0,
    'restart.interval': 0,
    ...m,
  };
  const path = join(dir, `${name}.conf`);
  writeFileSync(path, renderSpec(name, model).replace(/^SVC_PIDFILE=.*$/m, `SVC_PIDFILE=${join(dir, `${name}.pid`)}`));
  return path;
}

function run(specPath: string, timeoutMs = 10000): { code: number | null; stderr: string } {
  const r = spawnSync('sh', [wrapper, specPath], { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, stderr: r.stderr };
}

const count = (file: string): number => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);

describe('respawn wrapper', () => {
  test('on-failure with a start limit: restarts until the limit, then gives up with 75', () => {
    const runs = join(dir, 'limit.runs');
    const r = run(spec('limit', `echo x >> ${runs}; exit 3`, { 'restart.burst': 3, 'restart.interval': 60 }));
    assert.equal(r.code, 75, r.stderr);
    assert.equal(count(runs), 3);
    assert.match(r.stderr, /start limit hit/);
  });

  test('on-failure: a clean exit stays down; never: a failure stays down', () => {
    const a = join(dir, 'clean.runs');
    assert.equal(run(spec('clean', `echo x >> ${a}; exit 0`, {})).code, 0);
    assert.equal(count(a), 1);
    const b = join(dir, 'never.runs');
    assert.equal(run(spec('never', `echo x >> ${b}; exit 1`, { 'restart.policy': 'never' })).code, 0);
    assert.equal(count(b), 1);
  });

  test('always restarts after a clean exit; the backoff doubles the delay up to max_delay', () => {
    const runs = join(dir, 'always.runs');
    const r = run(spec('always', `echo x >> ${runs}; exit 0`, { 'restart.policy': 'always', 'restart.max_delay': 0.4, 'restart.burst': 5, 'restart.interval': 60 }));
    assert.equal(r.code, 75, r.stderr);
    assert.equal(count(runs), 5);
    const delays = [...r.stderr.matchAll(/restarting in (\S+) s/g)].map((m) => m[1]);
    assert.deepEqual(delays, ['0.1', '0.2', '0.4', '0.4']);
  });

  test('environment, working directory and log files reach the program byte-exact', () => {
    const out = join(dir, 'env.out');
    const r = run(spec('env', `printf '%s|%s' "$GREETING" "$(pwd)" > ${out}; echo to-stderr >&2`, { working_directory: '/tmp', 'restart.policy': 'never' }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(out, 'utf8'), "it's a \"test\" $HOME %n|/tmp");
    assert.match(readFileSync(join(dir, 'stderr.log'), 'utf8'), /to-stderr/);
  });

  test('TERM is forwarded to the program; the pid file holds the wrapper and is removed; one instance only', async () => {
    const path = spec('term', 'exec sleep 30', { 'restart.policy': 'always' });
    const pidFile = join(dir, 'term.pid');
    const child = spawn('sh', [wrapper, path], { stdio: 'ignore' });
    for (let i = 0; i < 50 && !existsSync(pidFile); i++) await sleep(100);
    assert.equal(readFileSync(pidFile, 'utf8').trim(), String(child.pid));
    const second = run(path);
    assert.equal(second.code, 0);
    assert.match(second.stderr, /already runs/);
    const sleeper = spawnSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).stdout.trim();
    assert.match(sleeper, /^\d+$/);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(spawnSync('kill', ['-0', sleeper]).status, 1, 'the program was stopped too');
    assert.equal(existsSync(pidFile), false);
  });
});

describe('spec file', () => {
  test('render -> parse round trip for adversarial values', () => {
    const values = ['', ' ', "it's", '"', '\\', '$HOME', '`x`', 'a\nb', '%', '日本語', "'", "''", "a'b'c"];
    const m: SpecModel = {
      command: ['/usr/bin/prog', ...values],
      user: 'app',
      working_directory: '/srv/a b',
      environment: Object.fromEntries(values.map((v, i) => [`V${i}`, v])),
      'log.destination': 'journal',
      'restart.policy': 'always',
      'restart.delay': 1.5,
      'restart.max_delay': 30,
      'restart.burst': 5,
      'restart.interval': 10,
    };
    const parsed = parseSpec(renderSpec('app', m));
    assert.deepEqual(parsed.unmanaged, []);
    assert.deepEqual(parsed.model, flatSpec(m));
    // and the shell reads it the same way
    const path = join(dir, 'rt.conf');
    writeFileSync(path, renderSpec('app', m));
    const r = spawnSync('sh', ['-c', '. "$1"; svc_run printf "%s\\0"', 'sh', path], { encoding: 'utf8' });
    assert.deepEqual(r.stdout.split('\0').slice(0, -1), m.command);
  });
});
