/**
 * POSIX ACLs on a real host over SSH: exact mode removes an entry added by hand, default
 * entries are inherited by new files, and the next plan is empty.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { PlanDocument } from '../../src/engine/plan-document.ts';
import { bootHosts, harnessPrerequisites, hostExec, shutdownHosts, type TestFleet } from '../harness/hosts.ts';
import { fleetInventory } from '../harness/inventory.ts';
import { provision } from './cli.ts';

const PLAYBOOK = `- hosts: all
  resources:
    - kind: user
      name: app
      system: true
    - kind: group
      name: web
      system: true
    - kind: directory
      path: /srv/share
    - kind: acl
      path: /srv/share
      mode: exact
      entries:
        - { type: user, name: app, perms: rwx }
        - { type: group, name: web, perms: r }
      default_entries:
        - { type: user, name: app, perms: rw }
`;

describe('acl end to end on a real host', { timeout: 300_000 }, () => {
  let fleet: TestFleet;
  let play: string;
  let inv: string;

  async function onHost(...cmd: string[]): Promise<string> {
    const r = await hostExec(1, cmd);
    assert.equal(r.code, 0, `${cmd.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  }

  async function plan(): Promise<{ code: number; doc: PlanDocument }> {
    const r = await provision(['plan', play, '-i', inv, '--json', '--detailed-exitcode']);
    return { code: r.code, doc: JSON.parse(r.stdout) as PlanDocument };
  }

  before(async () => {
    const missing = harnessPrerequisites();
    assert.deepEqual(missing, [], `the e2e suite needs: ${missing.join(', ')}`);
    fleet = await bootHosts(1);
    const dir = mkdtempSync(join(tmpdir(), 'provision-acl-e2e-'));
    play = join(dir, 'acl.yml');
    inv = join(dir, 'inventory.yml');
    writeFileSync(play, PLAYBOOK);
    writeFileSync(inv, fleetInventory({ ...fleet, hosts: fleet.hosts.slice(0, 1) }));
  });

  after(async () => {
    await shutdownHosts();
  });

  test('apply sets the ACL and the next plan is empty', async () => {
    const r = await provision(['apply', play, '-i', inv, '--yes']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const acl = await onHost('getfacl', '-p', '--omit-header', '/srv/share');
    assert.match(acl, /^user:app:rwx$/m);
    assert.match(acl, /^group:web:r--$/m);
    assert.match(acl, /^default:user:app:rw-$/m);
    assert.equal((await plan()).code, 0);
  });

  test('exact mode: an entry added by hand shows as drift and apply removes it', async () => {
    await onHost('setfacl', '-m', 'u:nobody:r-x', '/srv/share');
    const drift = await plan();
    assert.equal(drift.code, 2);
    const changes = drift.doc.hosts[0]?.resources.filter((x) => x.action !== 'none').flatMap((x) => x.changes.map((c) => [x.address, c.attribute, c.before, c.after]));
    assert.deepEqual(changes, [['acl:/srv/share', 'entries.user:nobody', 'r-x', undefined]]);
    const r = await provision(['apply', play, '-i', inv, '--yes']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(await onHost('getfacl', '-p', '--omit-header', '/srv/share'), /nobody/);
    assert.equal((await plan()).code, 0);
  });

  test('default entries apply to files created afterwards', async () => {
    await onHost('touch', '/srv/share/new-file');
    assert.match(await onHost('getfacl', '-p', '--omit-header', '/srv/share/new-file'), /^user:app:rw-$/m);
    assert.equal((await plan()).code, 0, 'files created inside do not disturb the plan');
  });
});
