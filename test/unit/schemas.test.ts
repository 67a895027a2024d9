/** The schemas editors use are the ones the engine uses, and every example follows them. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { formatDiagnostic } from '../../src/config/diagnostics.ts';
import { loadInventory } from '../../src/config/inventory.ts';
import { loadConfiguration } from '../../src/config/playbook.ts';
import { buildPlaybookSchema } from '../../src/config/schema.ts';

describe('schemas and examples', () => {
  test('schemas/playbook.schema.json is generated from the module registry (run npm run schemas)', () => {
    const committed = JSON.parse(readFileSync('schemas/playbook.schema.json', 'utf8')) as unknown;
    assert.deepEqual(committed, JSON.parse(JSON.stringify(buildPlaybookSchema())));
  });

  const playbooks = readdirSync('playbooks').filter((f) => f.endsWith('.yml') && !f.startsWith('inventory'));
  const inventories = readdirSync('playbooks').filter((f) => f.startsWith('inventory') && f.endsWith('.yml'));

  test('there are example playbooks and inventories', () => {
    assert.ok(playbooks.length >= 1);
    assert.ok(inventories.length >= 1);
  });

  for (const file of playbooks) {
    test(`playbooks/${file} validates and points editors at the schema`, () => {
      const text = readFileSync(`playbooks/${file}`, 'utf8');
      assert.match(text, /^# yaml-language-server: \$schema=\.\.\/schemas\/playbook\.schema\.json$/m);
      // Windows examples target the Windows example inventory; the others run against localhost.
      const inventory = file.startsWith('windows-') ? 'playbooks/inventory.windows.example.yml' : undefined;
      const r = loadConfiguration({ playbook: `playbooks/${file}`, inventory, environment: { DEMO_TOKEN: 'x' } });
      assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
      assert.ok(r.config);
    });
  }

  for (const file of inventories) {
    test(`playbooks/${file} validates and points editors at the schema`, () => {
      const text = readFileSync(`playbooks/${file}`, 'utf8');
      assert.match(text, /^# yaml-language-server: \$schema=\.\.\/schemas\/inventory\.schema\.json$/m);
      const r = loadInventory(`playbooks/${file}`);
      assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
    });
  }
});
