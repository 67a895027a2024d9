/**
 * The CLI against localhost (local transport), on files in a temp directory: the whole
 * validate -> plan -> apply -> re-plan -> drift -> stale-plan cycle without booting hosts.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { validator } from '../../src/config/schema.ts';
import type { PlanDocument } from '../../src/engine/plan-document.ts';
import { provision } from '../e2e/cli.ts';
import { tempFiles } from './helpers.ts';

const dir = tempFiles({});
// The lock and ledger of "localhost" go to the temp dir, not this machine's /var/lib/provision.
process.env['PROVISION_STATE_DIR'] = join(dir, 'state');
const playbook = join(dir, 'local.yml');
const target = join(dir, 'managed');
writeFileSync(
  playbook,
  `- hosts: localhost
  vars: { who: world }
  resources:
    - kind: directory
      path: ${target}
      mode: "0755"
    - kind: file
      path: ${target}/hello.txt
      content: "hello {{who}}\\n"
      mode: "0644"
    - kind: file
      path: ${target}/token
      content: '{{env "CLI_TEST_TOKEN"}}'
      mode: "0600"
`,
);
const env = { CLI_TEST_TOKEN: 'cli-secret-value-42' };

describe('provision CLI on localhost', () => {
  test('validate: a broken playbook exits 1 with file:line:column and contacts nothing', async () => {
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, `- hosts: localhost\n  resources:\n    - kind: file\n      path: ${target}/x\n      mod: "0644"\n`);
    const r = await provision(['plan', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`${bad}:5:7: error: unknown attribute "mod"`));
    assert.match(r.stderr, /hint: did you mean "mode"\?/);
    assert.match(r.stderr, /nothing was contacted/);
    assert.equal(r.stdout, '');
    assert.equal(existsSync(join(target, 'x')), false);
  });

  test('plan -> apply -> plan is empty; secrets never printed', async () => {
    const p = await provision(['plan', playbook, '--detailed-exitcode'], { env });
    assert.equal(p.code, 2, p.stderr);
    assert.match(p.stdout, /\+ file:.*hello\.txt {2}\(create\)/);
    assert.match(p.stdout, /content: "\(sensitive\)"/);
    assert.ok(!p.stdout.includes(env.CLI_TEST_TOKEN));

    const a = await provision(['apply', playbook, '--yes'], { env });
    assert.equal(a.code, 0, a.stdout + a.stderr);
    assert.ok(!(a.stdout + a.stderr).includes(env.CLI_TEST_TOKEN));
    assert.equal(readFileSync(join(target, 'hello.txt'), 'utf8'), 'hello world\n');
    assert.equal(readFileSync(join(target, 'token'), 'utf8'), env.CLI_TEST_TOKEN);
    assert.equal(statSync(join(target, 'token')).mode & 0o777, 0o600);

    const again = await provision(['plan', playbook, '--detailed-exitcode'], { env });
    assert.equal(again.code, 0, again.stdout);
    assert.match(again.stdout, /Plan: 0 to create, 0 to update, 0 to delete, 3 unchanged on 1 of 1 host\./);
  });

  test('--json follows schemas/plan.schema.json and shows drift exactly', async () => {
    chmodSync(join(target, 'hello.txt'), 0o600);
    writeFileSync(join(target, 'token'), 'tampered');
    const r = await provision(['plan', playbook, '--json', '--detailed-exitcode'], { env });
    assert.equal(r.code, 2);
    const doc = JSON.parse(r.stdout) as PlanDocument;
    const validate = validator('plan.schema.json');
    assert.ok(validate(doc), JSON.stringify(validate.errors));
    const changed = doc.hosts[0]?.resources.filter((x) => x.action !== 'none').map((x) => [x.address, x.changes]);
    assert.deepEqual(changed, [
      [`file:${target}/hello.txt`, [{ attribute: 'mode', before: '0600', after: '0644' }]],
      [`file:${target}/token`, [{ attribute: 'content', before: '(sensitive)', after: '(sensitive)', sensitive: true }]],
    ]);
    assert.ok(!r.stdout.includes('tampered') && !r.stdout.includes(env.CLI_TEST_TOKEN));
  });

  test('a saved plan applies when nothing changed and is refused when the host changed', async () => {
    const saved = join(dir, 'plan.json');
    assert.equal((await provision(['plan', playbook, '--out', saved], { env })).code, 0);
    chmodSync(join(target, 'hello.txt'), 0o640);
    const stale = await provision(['apply', saved], { env });
    assert.equal(stale.code, 1);
    assert.match(stale.stdout, /localhost \(file:.*hello\.txt\): file:.*hello\.txt changed on the host since the plan was made/);
    assert.equal(readFileSync(join(target, 'token'), 'utf8'), 'tampered', 'nothing was applied');

    assert.equal((await provision(['plan', playbook, '--out', saved], { env })).code, 0);
    const ok = await provision(['apply', saved], { env });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.equal(readFileSync(join(target, 'token'), 'utf8'), env.CLI_TEST_TOKEN);
    assert.equal((await provision(['plan', playbook, '--detailed-exitcode'], { env })).code, 0);
  });

  test('a saved plan is refused when the playbook changed', async () => {
    const saved = join(dir, 'plan2.json');
    chmodSync(join(target, 'hello.txt'), 0o600);
    assert.equal((await provision(['plan', playbook, '--out', saved], { env })).code, 0);
    const changed = await provision(['apply', saved], { env: { CLI_TEST_TOKEN: 'rotated-secret' } });
    assert.equal(changed.code, 1);
    assert.match(changed.stdout, /the changes planned for file:.*token differ from the saved plan/);
    assert.ok(!changed.stdout.includes('rotated-secret'));
  });
});
