/** The local transport: scripts through sh on the controller, sudo -n for become. */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { LocalTransport } from '../../src/transport/local.ts';
import { ConnectionError } from '../../src/transport/transport.ts';

/** A PATH whose `sudo` refuses like sudo -n does for a user without NOPASSWD. */
function refusingSudoPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'provision-fake-sudo-'));
  writeFileSync(join(dir, 'sudo'), "#!/bin/sh\necho 'sudo: a password is required' >&2\nexit 1\n");
  chmodSync(join(dir, 'sudo'), 0o755);
  return `${dir}:${process.env.PATH ?? ''}`;
}

describe('LocalTransport', () => {
  test('runs the script with sh and returns its output and exit code', async () => {
    const t = new LocalTransport({ host: 'localhost', become: null });
    const r = await t.runScript('printf "%s" "$((6*7))"; echo oops >&2; exit 3\n');
    assert.deepEqual([r.code, r.stdout.toString(), r.stderr.toString()], [3, '42', 'oops\n']);
    assert.equal(t.execCount, 1);
    assert.equal(t.shell, 'sh');
  });

  test('sudo asking for a password is a ConnectionError with a NOPASSWD hint', async () => {
    const saved = process.env.PATH;
    process.env.PATH = refusingSudoPath();
    try {
      const t = new LocalTransport({ host: 'localhost', become: { user: 'app' } });
      await assert.rejects(t.runScript('true\n'), (e: unknown) => {
        assert.ok(e instanceof ConnectionError);
        assert.match(e.message, /sudo needs a password to run as app/);
        assert.match(e.hint ?? '', /NOPASSWD/);
        return true;
      });
    } finally {
      process.env.PATH = saved;
    }
  });
});
