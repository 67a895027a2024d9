/** Resources that would undo each other on every apply are refused by validate. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { formatDiagnostic } from '../../src/config/diagnostics.ts';
import { loadConfiguration } from '../../src/config/playbook.ts';
import { tempFiles } from './helpers.ts';

function errors(playbook: string): string[] {
  const dir = tempFiles({ 'play.yml': playbook });
  return loadConfiguration({ playbook: join(dir, 'play.yml') }).diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
}

const play = (dirMode: string | null, entries: string): string => `- hosts: all
  resources:
    - kind: directory
      path: /srv/share
${dirMode === null ? '' : `      mode: "${dirMode}"\n`}    - kind: acl
      path: /srv/share
      entries:
${entries}`;

describe('acl versus file/directory mode on one path', () => {
  test('named entries without a mask, plus a mode: refused at the acl, naming both and the fix', () => {
    const [e, ...rest] = errors(play('0750', '        - { type: user, name: app, perms: rwx }\n'));
    assert.deepEqual(rest, []);
    assert.match(e ?? '', /play\.yml:6:7: error/);
    assert.match(e ?? '', /acl:\/srv\/share and directory:\/srv\/share both set the permission bits of \/srv\/share/);
    assert.match(e ?? '', /mask \(computed by setfacl\) vs the mode's group bits \(r-x\)/);
    assert.match(e ?? '', /drop mode from directory:\/srv\/share/);
  });

  test('a listed mask that disagrees with the group bits is refused', () => {
    assert.match(errors(play('0750', '        - { type: user, name: app, perms: rwx }\n        - { type: mask, perms: rwx }\n')).join('\n'), /mask \(rwx\) vs the mode's group bits \(r-x\)/);
  });

  test('owner or other entries that disagree with the mode are refused even without named entries', () => {
    assert.match(errors(play('0750', '        - { type: other, perms: r }\n')).join('\n'), /other entry \(r--\) vs the mode's other bits \(---\)/);
  });

  test('consistent bits, or no mode at all, are fine', () => {
    assert.deepEqual(errors(play('0770', '        - { type: user, name: app, perms: rwx }\n        - { type: mask, perms: "7" }\n        - { type: other, perms: "---" }\n')), []);
    assert.deepEqual(errors(play(null, '        - { type: user, name: app, perms: rwx }\n')), []);
  });
});

describe('resources and the host platform', () => {
  const inventory = `all:
  hosts:
    lin1: { address: 192.0.2.1 }
    win1: { address: 192.0.2.2, connection: { transport: winrm, winrm: { password_env: P } } }
`;
  const load = (playbook: string): string[] => {
    const dir = tempFiles({ 'play.yml': playbook, 'inv.yml': inventory });
    return loadConfiguration({ playbook: join(dir, 'play.yml'), inventory: join(dir, 'inv.yml') }).diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
  };

  test('a Linux kind on a Windows host and a Windows kind on a Linux host are refused before any host is contacted', () => {
    const errs = load(`- hosts: all
  resources:
    - kind: user
      name: app
    - kind: registry_key
      hive: HKLM
      path: SOFTWARE\\Contoso
`);
    assert.equal(errs.length, 2, errs.join('\n'));
    assert.match(errs.join('\n'), /user:app is a Linux resource, but win1 is a Windows host/);
    assert.match(errs.join('\n'), /registry_key:HKLM\\SOFTWARE\\Contoso is a Windows resource, but lin1 is a Linux host/);
  });

  test('plays limited to the right hosts are fine', () => {
    assert.deepEqual(load(`- hosts: lin1
  resources:
    - kind: user
      name: app
- hosts: win1
  resources:
    - kind: registry_key
      hive: HKLM
      path: SOFTWARE\\Contoso
`), []);
  });
});

describe('secrets where they would be visible on the host', () => {
  test('a health check that templates in a secret is refused by validate, at the value', () => {
    const dir = tempFiles({
      'play.yml': `- hosts: all
  resources:
    - kind: service
      name: web
      command: [/usr/bin/web]
      health:
        - http: { url: 'http://127.0.0.1/health?token={{env "TOKEN"}}' }
`,
    });
    const errs = loadConfiguration({ playbook: join(dir, 'play.yml'), environment: { TOKEN: 's3cret' } }).diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
    assert.equal(errs.length, 1, errs.join('\n'));
    assert.match(errs[0] ?? '', /play\.yml:7:\d+: error: health\.0\.http\.url holds a secret, and its value would be on a command line on the host/);
    assert.ok(!errs[0]?.includes('s3cret'));
  });
});
