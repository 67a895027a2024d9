import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadInventory, selectHosts, type Inventory } from '../../src/config/inventory.ts';
import { TemplateRenderer } from '../../src/config/template.ts';
import { tempFiles } from './helpers.ts';

const INVENTORY = `all:
  vars: { level: all, region: eu }
  connection: { user: root, port: 2200 }
  children:
    web:
      vars: { level: web }
      connection: { identity_file: keys/web }
      hosts:
        web1: { address: 10.0.0.1 }
        web2: { address: 10.0.0.2, vars: { level: web2 }, connection: { port: 22 } }
      children:
        canary:
          vars: { level: canary }
          hosts:
            web2:
    db:
      hosts:
        db1: { connection: { become: true } }
`;

function load(): Inventory {
  const dir = tempFiles({ 'inv.yml': INVENTORY });
  const r = loadInventory(join(dir, 'inv.yml'));
  assert.deepEqual(r.diagnostics, []);
  return r.inventory as Inventory;
}

describe('inventory', () => {
  test('precedence: all < parent group < child group < host', () => {
    const inv = load();
    const web1 = inv.hosts.get('web1');
    const web2 = inv.hosts.get('web2');
    const db1 = inv.hosts.get('db1');
    assert.equal(web1?.vars.level, 'web');
    assert.equal(web2?.vars.level, 'web2');
    assert.equal(web2?.vars.region, 'eu');
    assert.equal(web1?.connection.port, 2200);
    assert.equal(web2?.connection.port, 22);
    assert.equal(db1?.connection.become, true);
    assert.equal(db1?.address, 'db1');
    assert.deepEqual(web2?.groups, ['all', 'canary', 'web']);
  });

  test('relative key paths are relative to the inventory file', () => {
    const inv = load();
    assert.match(inv.hosts.get('web1')?.connection.identity_file ?? '', /^\/.*\/keys\/web$/);
  });

  test('host patterns: groups, names, globs, lists, exclusions', () => {
    const inv = load();
    assert.deepEqual(selectHosts(inv, 'all').hosts, ['web1', 'web2', 'db1']);
    assert.deepEqual(selectHosts(inv, 'web').hosts, ['web1', 'web2']);
    assert.deepEqual(selectHosts(inv, 'web,!canary').hosts, ['web1']);
    assert.deepEqual(selectHosts(inv, ['db*', 'web1']).hosts, ['web1', 'db1']);
    assert.deepEqual(selectHosts(inv, 'nope').unknown, ['nope']);
  });
});

describe('templates', () => {
  const ctx = { vars: { port: 8080, name: 'app', nested: { v: true } }, host: { name: 'h1', address: '10.0.0.1', groups: ['all'] } };

  test('strings render with host and vars; a lone variable keeps its type', () => {
    const r = new TemplateRenderer({});
    assert.deepEqual(r.render('{{name}}:{{port}}@{{host.address}}', ctx), { value: 'app:8080@10.0.0.1', sensitive: false });
    assert.deepEqual(r.render('{{port}}', ctx), { value: 8080, sensitive: false });
    assert.deepEqual(r.render('{{ nested.v }}', ctx), { value: true, sensitive: false });
    assert.deepEqual(r.render('no templates', ctx), { value: 'no templates', sensitive: false });
  });

  test('backslashes before {{ are literal (Windows paths)', () => {
    const r = new TemplateRenderer({});
    assert.equal(r.render('C:\\App\\{{name}}\\conf', ctx).value, 'C:\\App\\app\\conf');
    assert.equal(r.render('\\\\server\\{{name}}', ctx).value, '\\\\server\\app');
    assert.equal(r.render('a\\\\{{name}}', ctx).value, 'a\\\\app');
  });

  test('no HTML escaping: values are data, not markup', () => {
    const r = new TemplateRenderer({});
    assert.equal(r.render('{{v}}', { ...ctx, vars: { v: '<a href="x">&' } }).value, '<a href="x">&');
  });

  test('values read with env are sensitive, others are not', () => {
    const r = new TemplateRenderer({ TOKEN: 's3cret' });
    assert.deepEqual(r.render('Bearer {{env "TOKEN"}}', ctx), { value: 'Bearer s3cret', sensitive: true });
    assert.deepEqual(r.render('{{name}}', ctx), { value: 'app', sensitive: false });
  });
});
