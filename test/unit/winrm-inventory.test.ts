/** Inventory settings for Windows hosts and the transports the factory builds from them. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadInventory, type Inventory, type InventoryHost } from '../../src/config/inventory.ts';
import { transportFor } from '../../src/transport/factory.ts';
import { LocalPowerShellTransport } from '../../src/transport/local-powershell.ts';
import { SshTransport } from '../../src/transport/ssh.ts';
import { ConnectionError } from '../../src/transport/transport.ts';
import { WinrmTransport } from '../../src/transport/winrm/transport.ts';
import { tempFiles } from './helpers.ts';

const INVENTORY = `all:
  children:
    windows:
      connection:
        transport: winrm
        user: Administrator
        winrm: { password_env: WIN_PASSWORD, ca_file: certs/ca.pem, operation_timeout: 30 }
      hosts:
        win1: { address: 10.0.0.5 }
        win2: { connection: { winrm: { scheme: http, port: 15985 } } }
    winssh:
      hosts:
        ws1: { connection: { shell: powershell, user: admin } }
    nopass:
      hosts:
        win3: { connection: { transport: winrm, user: a } }
`;

function load(text = INVENTORY): { inventory?: Inventory; messages: string[]; dir: string } {
  const dir = tempFiles({ 'inv.yml': text });
  const r = loadInventory(join(dir, 'inv.yml'));
  return { inventory: r.inventory, messages: r.diagnostics.map((d) => `${d.path}: ${d.message}`), dir };
}

function host(inv: Inventory | undefined, name: string): InventoryHost {
  const h = inv?.hosts.get(name);
  assert.ok(h, name);
  return h;
}

describe('inventory', () => {
  test('winrm settings merge key by key from group to host; ca_file is relative to the inventory', () => {
    const { inventory, messages, dir } = load();
    assert.deepEqual(messages, []);
    assert.deepEqual(host(inventory, 'win1').connection.winrm, { password_env: 'WIN_PASSWORD', ca_file: join(dir, 'certs/ca.pem'), operation_timeout: 30 });
    assert.deepEqual(host(inventory, 'win2').connection.winrm, { password_env: 'WIN_PASSWORD', ca_file: join(dir, 'certs/ca.pem'), operation_timeout: 30, scheme: 'http', port: 15985 });
  });

  test('a password in the inventory is not a setting: the schema refuses it', () => {
    const { messages } = load('all:\n  hosts:\n    w: { connection: { transport: winrm, winrm: { password_env: P, password: hunter2 } } }\n');
    assert.ok(messages.some((m) => /password/.test(m)), messages.join('\n'));
  });

  test('unknown transport and shell values are refused', () => {
    assert.ok(load('all:\n  hosts:\n    w: { connection: { transport: psrp } }\n').messages.length > 0);
    assert.ok(load('all:\n  hosts:\n    w: { connection: { shell: cmd } }\n').messages.length > 0);
  });
});

describe('transportFor', () => {
  test('winrm hosts get a WinrmTransport speaking PowerShell', () => {
    const { inventory } = load();
    const t = transportFor(host(inventory, 'win1'));
    assert.ok(t instanceof WinrmTransport);
    assert.equal(t.shell, 'powershell');
  });

  test('ssh with shell: powershell, and local with shell: powershell', () => {
    const { inventory } = load();
    const ws = transportFor(host(inventory, 'ws1'));
    assert.ok(ws instanceof SshTransport);
    assert.equal(ws.shell, 'powershell');
    const local = transportFor({ name: 'me', address: 'localhost', groups: [], vars: {}, connection: { transport: 'local', shell: 'powershell' } });
    assert.ok(local instanceof LocalPowerShellTransport);
    assert.equal(local.shell, 'powershell');
  });

  test('missing password_env, shell: sh with winrm and become with winrm are errors naming the host and the fix', () => {
    const { inventory } = load();
    assert.throws(() => transportFor(host(inventory, 'win3')), (e: unknown) => e instanceof ConnectionError && /^win3: transport winrm needs connection\.winrm\.password_env/.test(e.message) && /password_env: WINRM_PASSWORD/.test(e.hint ?? ''));
    const base = host(inventory, 'win1');
    assert.throws(() => transportFor({ ...base, connection: { ...base.connection, shell: 'sh' } }), /^ConnectionError: win1: transport winrm always uses PowerShell/);
    assert.throws(() => transportFor({ ...base, connection: { ...base.connection, become: true } }), /^ConnectionError: win1: become is not supported with transport winrm/);
  });
});
