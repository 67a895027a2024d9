/**
 * Acceptance on a real Windows host (npm run test:windows; not part of CI, and not yet run: no
 * Windows host exists where provision is developed). For every Windows module: plan shows
 * changes (exit 2), apply converges (exit 0), the next plan is empty (exit 0); then the cleanup
 * playbook removes what the case made and its own re-plan is empty.
 *
 * Needs: PROVISION_WINDOWS_HOST, PROVISION_WINDOWS_USER, PROVISION_WINDOWS_PASSWORD (an
 * administrator), PROVISION_WINDOWS_NSSM (path of nssm.exe on the host); optional
 * PROVISION_WINDOWS_SCHEME (https|http), PROVISION_WINDOWS_AUTH (ntlm|basic),
 * PROVISION_WINDOWS_CA_FILE, PROVISION_WINDOWS_VALIDATE_CERTS=false.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadInventory } from '../../src/config/inventory.ts';
import { transportFor } from '../../src/transport/factory.ts';
import { provision } from '../e2e/cli.ts';
import { acceptanceInventory, acceptanceTarget, type AcceptanceTarget } from './acceptance-inventory.ts';

const PLAYBOOKS = fileURLToPath(new URL('./playbooks/', import.meta.url));
const run = randomBytes(4).toString('hex');
let target: AcceptanceTarget;
let inventory: string;

/** Runs raw PowerShell on the host for set-up and tear-down that no module covers (a folder). */
async function onHost(script: string): Promise<void> {
  const inv = loadInventory(inventory);
  const host = inv.inventory?.hosts.get('win');
  assert.ok(host, 'the generated inventory has the host');
  const t = transportFor(host);
  try {
    await t.connect();
    const r = await t.runScript(script);
    assert.equal(r.code, 0, r.stderr.toString('utf8'));
  } finally {
    await t.close();
  }
}

async function triplet(playbook: string): Promise<void> {
  const file = join(PLAYBOOKS, playbook);
  const planned = await provision(['plan', file, '-i', inventory, '--detailed-exitcode']);
  assert.equal(planned.code, 2, `plan of ${playbook} should show changes:\n${planned.stdout}${planned.stderr}`);
  const applied = await provision(['apply', file, '-i', inventory, '--yes']);
  assert.equal(applied.code, 0, `apply of ${playbook}:\n${applied.stdout}${applied.stderr}`);
  const again = await provision(['plan', file, '-i', inventory, '--detailed-exitcode']);
  assert.equal(again.code, 0, `re-plan of ${playbook} should be empty:\n${again.stdout}${again.stderr}`);
}

async function cleanup(playbook: string): Promise<void> {
  const file = join(PLAYBOOKS, playbook);
  const applied = await provision(['apply', file, '-i', inventory, '--yes']);
  assert.equal(applied.code, 0, `cleanup ${playbook}:\n${applied.stdout}${applied.stderr}`);
  const again = await provision(['plan', file, '-i', inventory, '--detailed-exitcode']);
  assert.equal(again.code, 0, `re-plan of ${playbook} should be empty:\n${again.stdout}${again.stderr}`);
}

describe('Windows acceptance (a real host)', () => {
  before(() => {
    const t = acceptanceTarget(process.env, run);
    assert.ok(!Array.isArray(t), `set ${Array.isArray(t) ? t.join(', ') : ''} to run the Windows acceptance suite (see the README)`);
    target = t;
    const dir = mkdtempSync(join(tmpdir(), 'provision-windows-acceptance-'));
    inventory = join(dir, 'inventory.yml');
    writeFileSync(inventory, acceptanceInventory(target));
  });

  test('registry_key, registry_value (every kind), registry_acl', async () => {
    await triplet('registry.yml');
    await cleanup('registry-cleanup.yml');
  });

  test('ntfs_acl on a folder', async () => {
    const folder = `C:\\ProgramData\\provision-acceptance-${target.run}`;
    await onHost(`New-Item -ItemType Directory -Force -Path '${folder}' | Out-Null`);
    try {
      await triplet('ntfs_acl.yml');
    } finally {
      await onHost(`Remove-Item -Recurse -Force -LiteralPath '${folder}'`);
    }
  });

  test('user_right', async () => {
    await triplet('user_right.yml');
    await cleanup('user_right-cleanup.yml');
  });

  test('service: windows-service (SCM)', async () => {
    await triplet('windows-service.yml');
    await cleanup('windows-service-cleanup.yml');
  });

  test('service: nssm', async () => {
    await triplet('nssm.yml');
    await cleanup('nssm-cleanup.yml');
    await onHost(`Remove-Item -Recurse -Force -ErrorAction SilentlyContinue -LiteralPath 'C:\\ProgramData\\provision-acceptance-${target.run}-logs'`);
  });

  test('service: scheduled-task', async () => {
    await triplet('scheduled-task.yml');
    await cleanup('scheduled-task-cleanup.yml');
  });

  after(() => {
    // Each case cleans up after itself; a failed case leaves names with this run's suffix.
    if (target) console.log(`Windows acceptance run ${target.run} on ${target.host}`);
  });
});
