/**
 * The Windows acceptance suite (npm run test:windows) cannot run here, but its playbooks and its
 * inventory can be checked: every playbook validates for the inventory the suite generates.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { formatDiagnostic } from '../../src/config/diagnostics.ts';
import { loadConfiguration } from '../../src/config/playbook.ts';
import { acceptanceInventory, acceptanceTarget } from '../windows/acceptance-inventory.ts';
import { tempFiles } from './helpers.ts';

const DIR = 'test/windows/playbooks';

describe('Windows acceptance playbooks', () => {
  const env = { PROVISION_WINDOWS_HOST: 'win.example', PROVISION_WINDOWS_USER: 'Administrator', PROVISION_WINDOWS_PASSWORD: 'x', PROVISION_WINDOWS_NSSM: 'C:\\tools\\nssm.exe' };

  test('missing settings are named', () => {
    assert.deepEqual(acceptanceTarget({}, 'r'), ['PROVISION_WINDOWS_HOST', 'PROVISION_WINDOWS_USER', 'PROVISION_WINDOWS_PASSWORD', 'PROVISION_WINDOWS_NSSM']);
  });

  const files = readdirSync(DIR).filter((f) => f.endsWith('.yml'));
  test('there is a case and a cleanup for every Windows kind', () => {
    for (const f of ['registry.yml', 'ntfs_acl.yml', 'user_right.yml', 'windows-service.yml', 'nssm.yml', 'scheduled-task.yml']) assert.ok(files.includes(f), f);
  });

  for (const file of files) {
    test(`${file} validates for the generated inventory`, () => {
      const target = acceptanceTarget(env, 'abc123');
      assert.ok(!Array.isArray(target));
      const dir = tempFiles({ 'inventory.yml': acceptanceInventory(target) });
      const r = loadConfiguration({ playbook: join(DIR, file), inventory: join(dir, 'inventory.yml'), environment: env });
      assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
      assert.equal(r.config?.hosts.length, 1);
    });
  }
});
