/** Mistakes users make are diagnostics with file:line:column, a JSON path and a hint. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { formatDiagnostic, type Diagnostic } from '../../src/config/diagnostics.ts';
import { loadConfiguration } from '../../src/config/playbook.ts';
import { tempFiles } from './helpers.ts';

function check(playbook: string, inventory?: string, env: NodeJS.ProcessEnv = {}): { diagnostics: Diagnostic[]; ok: boolean } {
  const dir = tempFiles({ 'play.yml': playbook, ...(inventory ? { 'inv.yml': inventory } : {}) });
  const r = loadConfiguration({ playbook: join(dir, 'play.yml'), inventory: inventory ? join(dir, 'inv.yml') : undefined, environment: env });
  return { diagnostics: r.diagnostics.filter((d) => d.severity === 'error'), ok: r.config !== undefined };
}

function only(ds: Diagnostic[]): Diagnostic {
  assert.equal(ds.length, 1, ds.map(formatDiagnostic).join('\n'));
  return ds[0] as Diagnostic;
}

describe('validate', () => {
  test('the example playbooks are valid', () => {
    const r = loadConfiguration({ playbook: 'playbooks/example.yml' });
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic), []);
    assert.equal(r.config?.hosts.length, 1);
    assert.equal(r.config?.hosts[0]?.graph.order.length, 5);
  });

  test('unknown attribute: points at the key and suggests the right name', () => {
    const d = only(check('- hosts: all\n  resources:\n    - kind: user\n      name: app\n      shel: /bin/sh\n').diagnostics);
    assert.equal(d.location.line, 5);
    assert.equal(d.location.column, 7);
    assert.equal(d.path, '/0/resources/0/shel');
    assert.match(d.message, /unknown attribute "shel"/);
    assert.match(d.hint ?? '', /did you mean "shell"/);
  });

  test('a mode written as a YAML number is refused with a hint to quote it', () => {
    const d = only(check('- hosts: all\n  resources:\n    - kind: directory\n      path: /srv/x\n      mode: 0755\n').diagnostics);
    assert.equal(d.location.line, 5);
    assert.equal(d.location.column, 13);
    assert.match(d.message, /expected string, got number 755/);
    assert.match(d.hint ?? '', /Quote it/);
  });

  test('unknown resource kind names the known kinds', () => {
    const d = only(check('- hosts: all\n  resources:\n    - kind: usr\n      name: app\n').diagnostics);
    assert.equal(d.location.line, 3);
    assert.match(d.message, /unknown resource kind "usr"/);
    assert.match(d.hint ?? '', /did you mean "user"/);
  });

  test('missing required attribute', () => {
    const d = only(check('- hosts: all\n  resources:\n    - kind: group\n      gid: 5\n').diagnostics);
    assert.match(d.message, /missing required attribute "name"/);
    assert.equal(d.location.line, 3);
  });

  test('duplicate resource ids', () => {
    const d = only(check('- hosts: all\n  resources:\n    - kind: group\n      name: app\n    - kind: group\n      name: app\n      gid: 7\n').diagnostics);
    assert.match(d.message, /duplicate resource group:app \(first defined at line 3\)/);
    assert.equal(d.location.line, 5);
  });

  test('dependency cycles are reported with the cycle', () => {
    const d = only(check('- hosts: all\n  resources:\n    - kind: group\n      name: a\n      requires: [group:b]\n    - kind: group\n      name: b\n      requires: [group:a]\n').diagnostics);
    assert.match(d.message, /dependency cycle: group:(a|b) -> group:(a|b) -> group:(a|b)/);
  });

  test('requires naming a missing resource', () => {
    const d = only(check('- hosts: all\n  resources:\n    - kind: group\n      name: a\n      requires: [user:nobody]\n').diagnostics);
    assert.match(d.message, /group:a requires user:nobody, which is not in the playbook/);
  });

  test('undefined template variables name the variable, the host and the place', () => {
    const d = only(check('- hosts: all\n  resources:\n    - kind: group\n      name: "{{app_name}}"\n').diagnostics);
    assert.equal(d.location.line, 4);
    assert.equal(d.location.column, 13);
    assert.equal(d.host, 'localhost');
    assert.match(d.message, /template variable "app_name" is not defined for host localhost/);
  });

  test('the env helper needs the variable to be set', () => {
    const d = only(check('- hosts: all\n  resources:\n    - kind: file\n      path: /tmp/x\n      content: "{{env \\"TOKEN\\"}}"\n').diagnostics);
    assert.match(d.message, /environment variable TOKEN is not set/);
  });

  test('YAML syntax errors and duplicate keys have positions', () => {
    const d = only(check('- hosts: all\n  resources:\n    - kind: group\n      name: a\n      name: b\n').diagnostics);
    assert.equal(d.location.line, 5);
    assert.match(d.message, /YAML: Map keys must be unique/);
  });

  test('inventory mistakes are reported against the inventory file', () => {
    const r = check('- hosts: all\n  resources: []\n', 'all:\n  hosts:\n    web1:\n      adress: 10.0.0.1\n');
    const d = only(r.diagnostics);
    assert.match(d.location.file, /inv\.yml$/);
    assert.equal(d.location.line, 4);
    assert.match(d.hint ?? '', /did you mean "address"/);
  });

  test('a valid playbook with templates renders per host and keeps numbers typed', () => {
    const r = loadConfiguration({
      playbook: join(tempFiles({ 'p.yml': '- hosts: web\n  resources:\n    - kind: group\n      name: "g{{host.name}}"\n      gid: "{{gid}}"\n' }), 'p.yml'),
      inventory: join(tempFiles({ 'i.yml': 'all:\n  children:\n    web:\n      vars: { gid: 1500 }\n      hosts:\n        a: {}\n        b: { vars: { gid: 1600 } }\n' }), 'i.yml'),
    });
    assert.deepEqual(r.diagnostics, []);
    const got = r.config?.hosts.map((h) => [h.host.name, h.graph.order[0]?.desired]);
    assert.deepEqual(got, [
      ['a', { name: 'ga', gid: 1500 }],
      ['b', { name: 'gb', gid: 1600 }],
    ]);
  });
});
