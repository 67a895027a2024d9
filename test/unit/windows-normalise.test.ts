/**
 * The pure normalisation behind the Windows ACL and registry modules: rights names <-> masks,
 * generic rights and Synchronize, DWORD/QWORD sign conversion, hex bytes, SID/name identities,
 * and the plan-time errors that need the host's state (non-canonical ACL, flags on a file).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dataForApply, dwordFromDesired, dwordFromRead, dwordToSigned, hexToBytes, normaliseDesired, normaliseHex, normaliseRead, qwordFromDesired, qwordFromRead, qwordToSigned } from '../../modules/registry_value/data.ts';
import { keyAndParents, keyName } from '../../modules/registry_key/location.ts';
import { registryValueModule } from '../../modules/registry_value/index.ts';
import { registryKeyModule } from '../../modules/registry_key/index.ts';
import { ntfsAclModule } from '../../modules/ntfs_acl/index.ts';
import { aclDiff } from '../../modules/windows_acl/diff.ts';
import { bitsToFlags, checkAcl, entryKey, entryLabel, INHERITANCE_BITS, isSid, normaliseSid } from '../../modules/windows_acl/model.ts';
import { parseAclState, sidOf } from '../../modules/windows_acl/parse.ts';
import { describeRights, FILE_RIGHTS, GENERIC_ALL, GENERIC_EXECUTE, GENERIC_READ, GENERIC_WRITE, maskToNames, namesToMask, normaliseMask, REGISTRY_RIGHTS, SYNCHRONIZE } from '../../modules/windows_acl/rights.ts';
import type { CommandResult } from '../../src/core/types.ts';
import { loadConfiguration } from '../../src/config/playbook.ts';
import { formatDiagnostic } from '../../src/config/diagnostics.ts';
import { join } from 'node:path';
import { tempFiles } from './helpers.ts';

const ok = (stdout: unknown): CommandResult => ({ code: 0, stdout: Buffer.from(JSON.stringify(stdout)), stderr: Buffer.alloc(0) });

describe('rights names and masks', () => {
  test('composite names are the documented .NET masks', () => {
    assert.equal(namesToMask('file', ['FullControl']), 0x1f01ff);
    assert.equal(namesToMask('file', ['Modify']), 197055);
    assert.equal(namesToMask('file', ['ReadAndExecute']), 131241);
    assert.equal(namesToMask('file', ['Read', 'Write']), 0x20089 | 0x116);
    assert.equal(namesToMask('file', ['ListDirectory', 'Traverse']), 0x21);
    assert.equal(namesToMask('registry', ['ReadKey', 'SetValue']), 0x2001b);
    assert.equal(namesToMask('registry', ['ExecuteKey']), namesToMask('registry', ['ReadKey']));
    assert.throws(() => namesToMask('registry', ['Modify']), /unknown registry right/);
  });

  test('masks read back as the largest composites, then single rights, then hex', () => {
    assert.deepEqual(maskToNames('file', 0x1f01ff), ['FullControl']);
    assert.deepEqual(maskToNames('file', 0x301bf), ['Modify']);
    assert.deepEqual(maskToNames('file', 0x20089 | 0x116), ['Read', 'Write']);
    assert.deepEqual(maskToNames('file', 0x200a9 | 0x10000), ['ReadAndExecute', 'Delete']);
    assert.deepEqual(maskToNames('file', 0x1000000 | 1), ['ReadData', '0x1000000']);
    assert.deepEqual(maskToNames('registry', 0x2001f), ['ReadKey', 'WriteKey']);
    assert.deepEqual(maskToNames('registry', 0), []);
  });

  test('every name survives names -> mask -> names as the same bits', () => {
    for (const target of ['file', 'registry'] as const) {
      for (const name of Object.keys(target === 'file' ? FILE_RIGHTS : REGISTRY_RIGHTS)) {
        const mask = namesToMask(target, [name]);
        assert.equal(namesToMask(target, maskToNames(target, mask)), mask, `${target} ${name}`);
      }
    }
  });

  test('Synchronize never makes a difference, and FullControl keeps its name', () => {
    assert.equal(normaliseMask('file', 0x1301bf), normaliseMask('file', 0x301bf));
    assert.equal(normaliseMask('file', 1179817), namesToMask('file', ['ReadAndExecute']));
    assert.equal(normaliseMask('file', SYNCHRONIZE), 0);
    assert.equal(describeRights('file', normaliseMask('file', 0x1f01ff)), 'FullControl');
    assert.equal(describeRights('file', normaliseMask('file', 1245631)), 'Modify');
    assert.equal(describeRights('file', 0), '(none)');
  });

  test('generic rights map to what they mean for files and for keys', () => {
    assert.equal(normaliseMask('file', GENERIC_ALL), normaliseMask('file', namesToMask('file', ['FullControl'])));
    assert.equal(normaliseMask('file', GENERIC_READ), namesToMask('file', ['Read']));
    assert.equal(normaliseMask('file', GENERIC_READ | GENERIC_EXECUTE), namesToMask('file', ['ReadAndExecute']));
    assert.equal(normaliseMask('file', GENERIC_WRITE), namesToMask('file', ['Write', 'ReadPermissions']));
    assert.equal(normaliseMask('registry', GENERIC_ALL), namesToMask('registry', ['FullControl']));
    assert.equal(normaliseMask('registry', GENERIC_READ), namesToMask('registry', ['ReadKey']));
    assert.equal(normaliseMask('registry', GENERIC_WRITE), namesToMask('registry', ['WriteKey']));
  });

  test('negative Int32 masks (GENERIC_READ as PowerShell shows it) are read as unsigned', () => {
    assert.equal(normaliseMask('file', -2147483648), normaliseMask('file', GENERIC_READ));
    assert.equal(normaliseMask('file', -1610612736), namesToMask('file', ['ReadAndExecute']));
    assert.equal(normaliseMask('registry', -2147483648), namesToMask('registry', ['ReadKey']));
  });
});

describe('identities and entry keys', () => {
  test('SID strings are recognised and compared case-insensitively', () => {
    assert.ok(isSid('S-1-5-32-544'));
    assert.ok(isSid('s-1-5-18'));
    assert.ok(!isSid('BUILTIN\\Administrators'));
    assert.ok(!isSid('S-1-'));
    assert.equal(normaliseSid('s-1-5-18'), 'S-1-5-18');
  });

  test('a name resolves through what the host returned; a SID stands for itself; a virtual account is derived; unknown names are null', () => {
    const resolved = [{ identity: 'BUILTIN\\Users', sid: 'S-1-5-32-545' }, { identity: 'NT SERVICE\\TrustedInstaller', sid: null }];
    assert.equal(sidOf('BUILTIN\\Users', resolved), 'S-1-5-32-545');
    assert.equal(sidOf('s-1-5-32-545', resolved), 'S-1-5-32-545');
    // Not resolvable on the host yet (its service does not exist): derived from the name.
    assert.equal(sidOf('NT SERVICE\\TrustedInstaller', resolved), 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464');
    assert.equal(sidOf('nobody', resolved), null);
  });

  test('keys ignore flag order and default to allow with no flags', () => {
    assert.equal(entryKey('S-1-5-18', { inheritance: ['object', 'container'] }), entryKey('S-1-5-18', { type: 'allow', inheritance: ['container', 'object'] }));
    assert.equal(entryKey('S-1-5-18', {}), 'S-1-5-18|0|0|0');
    assert.equal(entryKey('S-1-5-18', { type: 'deny', inheritance: ['container'], propagation: ['inherit_only'] }), 'S-1-5-18|1|1|2');
    assert.equal(entryLabel('Users', { inheritance: ['object', 'container'], propagation: ['inherit_only'] }), 'allow Users (container, object; inherit_only)');
    assert.deepEqual(bitsToFlags(3, INHERITANCE_BITS, 'inheritance'), ['container', 'object']);
    assert.throws(() => bitsToFlags(4, INHERITANCE_BITS, 'inheritance'), /unexpected inheritance value 4/);
  });

  test('check: propagation without inheritance, duplicates, copy_inherited with purge', () => {
    const problems = checkAcl({
      inheritance: 'protected',
      copy_inherited: true,
      purge: true,
      entries: [
        { identity: 'Users', rights: ['Read'], propagation: ['inherit_only'] },
        { identity: 'users', rights: ['Write'], propagation: ['inherit_only'] },
      ],
    }).map((p) => p.message);
    assert.ok(problems.some((m) => m.includes('propagation needs inheritance')));
    assert.ok(problems.some((m) => m.includes('listed twice')));
    assert.ok(problems.some((m) => m.includes('no effect with purge')));
    assert.deepEqual(checkAcl({ entries: [{ identity: 'Users', rights: ['Read'] }] }), []);
  });
});

describe('ACL states the host must fix first', () => {
  const state = (over: Record<string, unknown>): Record<string, unknown> => ({
    exists: true,
    type: 'directory',
    owner: { sid: 'S-1-5-32-544', name: 'BUILTIN\\Administrators' },
    protected: false,
    canonical: true,
    entries: [],
    inherited: 3,
    identities: [{ identity: 'BUILTIN\\Users', sid: 'S-1-5-32-545' }],
    ...over,
  });
  const d = { path: 'C:\\App', entries: [{ identity: 'BUILTIN\\Users', rights: ['Read'], inheritance: ['container' as const] }] };

  test('a non-canonical ACL is an error naming the path and how to reorder it', () => {
    assert.throws(() => ntfsAclModule.parse(ok(state({ canonical: false })), d, { os: 'windows', uid: 0, systemdVersion: null }), /C:\\App is not in canonical order.*reorder it first/);
  });

  test('inheritance flags on a file are an error naming the entry', () => {
    assert.throws(() => ntfsAclModule.parse(ok(state({ type: 'file' })), d, { os: 'windows', uid: 0, systemdVersion: null }), /BUILTIN\\Users has inheritance or propagation flags, but the path is a file/);
  });

  test('a name and a SID for the same account in two entries are an error', () => {
    const two = { path: 'C:\\App', entries: [{ identity: 'BUILTIN\\Users', rights: ['Read'] }, { identity: 'S-1-5-32-545', rights: ['Write'] }] };
    assert.throws(() => parseAclState(ok(state({})), two, { target: 'file', what: 'the ACL of C:\\App' }), /same account \(S-1-5-32-545\)/);
  });

  test('two ACEs with the same key on the host act as one with both masks', () => {
    const ace = (rights: number): Record<string, unknown> => ({ sid: 'S-1-5-32-545', name: 'BUILTIN\\Users', rights, type: 0, inheritance: 1, propagation: 0 });
    const c = parseAclState(ok(state({ entries: [ace(0x20089), ace(0x116)] })), d, { target: 'file', what: 'x' });
    assert.ok(c.exists);
    assert.deepEqual(c.entries.map((e) => e.rights), [['Read', 'Write']]);
    const diff = aclDiff('file', { ...d, entries: [{ identity: 'BUILTIN\\Users', rights: ['Write', 'Read'], inheritance: ['container'] }] }, c, 'C:\\App');
    assert.equal(diff.status, 'ok');
  });
});

describe('registry data', () => {
  test('DWORD: desired numbers and text, read-back negatives, signed for SetValue', () => {
    assert.equal(dwordFromDesired(4294967295), 0xffffffff);
    assert.equal(dwordFromDesired('0xFFFFFFFF'), 0xffffffff);
    assert.equal(dwordFromDesired('3000000000'), 3000000000);
    assert.equal(dwordFromDesired(4294967296), null);
    assert.equal(dwordFromDesired(-1), null);
    assert.equal(dwordFromDesired('12abc'), null);
    assert.equal(dwordFromRead(-1), 0xffffffff);
    assert.equal(dwordFromRead(-2147483648), 0x80000000);
    assert.equal(dwordFromRead(7), 7);
    assert.equal(dwordToSigned(0xffffffff), -1);
    assert.equal(dwordToSigned(0x80000000), -2147483648);
    assert.equal(dwordToSigned(0x7fffffff), 0x7fffffff);
  });

  test('QWORD: full 64-bit range as text, signed text both ways', () => {
    assert.equal(qwordFromDesired('18446744073709551615'), '18446744073709551615');
    assert.equal(qwordFromDesired('0xFFFFFFFFFFFFFFFF'), '18446744073709551615');
    assert.equal(qwordFromDesired('18446744073709551616'), null);
    assert.equal(qwordFromDesired(9007199254740991), '9007199254740991');
    assert.equal(qwordFromDesired(9007199254740992), null, 'beyond the safe range a number has already lost precision');
    assert.equal(qwordFromRead('-1'), '18446744073709551615');
    assert.equal(qwordFromRead('-9223372036854775808'), '9223372036854775808');
    assert.equal(qwordFromRead('42'), '42');
    assert.throws(() => qwordFromRead('1e3'), /unexpected QWORD/);
    assert.equal(qwordToSigned('18446744073709551615'), '-1');
    assert.equal(qwordToSigned('9223372036854775807'), '9223372036854775807');
  });

  test('hex bytes in any usual spelling', () => {
    assert.equal(normaliseHex('DE:AD:be:ef'), 'deadbeef');
    assert.equal(normaliseHex('de ad-be ef'), 'deadbeef');
    assert.equal(normaliseHex(''), '');
    assert.throws(() => normaliseHex('abc'), /unchecked hex/);
    assert.throws(() => normaliseHex('ab:'), /unchecked hex/);
    assert.deepEqual(hexToBytes('00ff10'), [0, 255, 16]);
  });

  test('desired and read data meet in one form; kinds keep their own rules', () => {
    assert.equal(normaliseDesired('DWord', '0x10'), 16);
    assert.equal(normaliseRead('DWord', 16), 16);
    assert.deepEqual(normaliseDesired('MultiString', ['a', 'b']), ['a', 'b']);
    assert.deepEqual(normaliseRead('MultiString', 'a'), ['a']);
    assert.deepEqual(normaliseRead('MultiString', null), []);
    assert.equal(normaliseDesired('None', undefined), '');
    assert.equal(normaliseDesired('String', 5), null);
    assert.equal(normaliseRead('ExpandString', '%PATH%'), '%PATH%');
    assert.throws(() => normaliseRead('DWord', '1'), /unexpected DWord/);
    assert.equal(dataForApply('DWord', 0xffffffff), -1);
    assert.equal(dataForApply('QWord', '18446744073709551615'), '-1');
    assert.deepEqual(dataForApply('Binary', 'ff00'), [255, 0]);
  });

  test('check refuses data that does not fit the type, and type/data with absent', () => {
    const base = { hive: 'HKLM' as const, key: 'SOFTWARE\\App', name: 'x' };
    assert.match(registryValueModule.check?.({ ...base, type: 'DWord', data: '99999999999' })[0]?.message ?? '', /does not fit type DWord/);
    assert.match(registryValueModule.check?.({ ...base, type: 'QWord', data: '0x1FFFFFFFFFFFFFFFF' })[0]?.message ?? '', /does not fit type QWord/);
    assert.match(registryValueModule.check?.({ ...base, ensure: 'absent', type: 'String' })[0]?.message ?? '', /type is not used with ensure: absent/);
    assert.match(registryValueModule.check?.({ ...base })[0]?.message ?? '', /type is required/);
    assert.deepEqual(registryValueModule.check?.({ ...base, type: 'DWord', data: '0xFFFFFFFF' }), []);
  });

  test('key names and the keys a value depends on', () => {
    assert.equal(keyName({ hive: 'HKLM', path: 'SOFTWARE\\App' }), 'HKLM\\SOFTWARE\\App');
    assert.equal(keyName({ hive: 'HKLM', path: 'SOFTWARE\\App', view: 32 }), 'HKLM\\SOFTWARE\\App (32-bit view)');
    assert.deepEqual(keyAndParents({ hive: 'HKCU', path: 'Software\\A\\B' }), ['HKCU\\Software\\A\\B', 'HKCU\\Software\\A', 'HKCU\\Software']);
    assert.deepEqual(
      registryValueModule.edges({ hive: 'HKLM', key: 'SOFTWARE\\App', name: '' }).map((e) => `${e.kind}:${e.name}`),
      ['registry_key:HKLM\\SOFTWARE\\App', 'registry_key:HKLM\\SOFTWARE'],
    );
  });
});

describe('registry keys', () => {
  const facts = { os: 'windows' as const, uid: 0, systemdVersion: null };
  test('deleting a key with subkeys needs force, at plan time', () => {
    const d = { hive: 'HKLM' as const, path: 'SOFTWARE\\Contoso\\Old', ensure: 'absent' as const };
    assert.throws(() => registryKeyModule.parse(ok({ exists: true, subkeys: 2, values: 0 }), d, facts), /has 2 subkeys: deleting it needs force: true/);
    assert.deepEqual(registryKeyModule.parse(ok({ exists: true, subkeys: 2, values: 0 }), { ...d, force: true }, facts), { exists: true, subkeys: 2, values: 0 });
    assert.deepEqual(registryKeyModule.parse(ok({ exists: true, subkeys: 0, values: 4 }), d, facts), { exists: true, subkeys: 0, values: 4 });
  });

  test('check: force only with absent; no deleting a key right below the hive', () => {
    assert.match(registryKeyModule.check?.({ hive: 'HKLM', path: 'SOFTWARE\\App', force: true })[0]?.message ?? '', /force only applies with ensure: absent/);
    assert.match(registryKeyModule.check?.({ hive: 'HKLM', path: 'SOFTWARE', ensure: 'absent', force: true })[0]?.message ?? '', /refusing to delete HKLM\\SOFTWARE/);
    assert.deepEqual(registryKeyModule.check?.({ hive: 'HKLM', path: 'SOFTWARE\\App', ensure: 'absent', force: true }), []);
  });

  test('a script that returned nothing is unexpected output, not a crash', () => {
    assert.throws(() => registryKeyModule.parse(ok(null), { hive: 'HKLM', path: 'SOFTWARE\\App' }, facts), /unexpected read output for registry key HKLM\\SOFTWARE\\App/);
    assert.throws(() => registryValueModule.parse(ok(null), { hive: 'HKLM', key: 'SOFTWARE\\App', name: '' }, facts), /unexpected read output for registry value HKLM\\SOFTWARE\\App \[\(Default\)\]/);
    assert.throws(() => ntfsAclModule.parse(ok(null), { path: 'C:\\App', purge: true }, facts), /unexpected read output/);
  });

  test('a failed read names the key and the reason', () => {
    const failed: CommandResult = { code: 1, stdout: Buffer.alloc(0), stderr: Buffer.from('Requested registry access is not allowed.') };
    assert.throws(() => registryKeyModule.parse(failed, { hive: 'HKLM', path: 'SECURITY\\Policy' }, facts), /cannot read registry key HKLM\\SECURITY\\Policy: Requested registry access is not allowed/);
  });
});

describe('edges in a playbook', () => {
  test('values, an ACL and a subkey listed before their key are ordered after it', () => {
    const dir = tempFiles({
      'play.yml': [
        '- hosts: all',
        '  resources:',
        "    - { kind: registry_value, hive: HKLM, key: 'SOFTWARE\\Contoso\\App', name: Port, type: DWord, data: 8080 }",
        "    - { kind: registry_acl, hive: HKLM, path: 'SOFTWARE\\Contoso\\App', entries: [{ identity: 'BUILTIN\\Users', rights: [ReadKey] }] }",
        "    - { kind: registry_key, hive: HKLM, path: 'SOFTWARE\\Contoso\\App\\Sub' }",
        "    - { kind: registry_key, hive: HKLM, path: 'SOFTWARE\\Contoso\\App' }",
        "    - { kind: registry_key, hive: HKLM, path: 'SOFTWARE\\Contoso\\App', view: 32 }",
        '',
      ].join('\n'),
    });
    const r = loadConfiguration({ playbook: join(dir, 'play.yml'), inventory: 'playbooks/inventory.windows.example.yml' });
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
    const graph = r.config?.hosts[0]?.graph;
    assert.ok(graph);
    const order = graph.order.map((x) => x.address);
    const key = 'registry_key:HKLM\\SOFTWARE\\Contoso\\App';
    for (const dependent of ['registry_value:HKLM\\SOFTWARE\\Contoso\\App [Port]', 'registry_acl:HKLM\\SOFTWARE\\Contoso\\App', 'registry_key:HKLM\\SOFTWARE\\Contoso\\App\\Sub']) {
      assert.ok(order.indexOf(key) < order.indexOf(dependent), `${key} before ${dependent}: ${order.join(', ')}`);
      assert.ok(graph.edges.some((e) => e.from === dependent && e.to === key), `edge ${dependent} -> ${key}`);
    }
    assert.ok(!graph.edges.some((e) => e.to === 'registry_key:HKLM\\SOFTWARE\\Contoso\\App (32-bit view)'), 'the 32-bit view is another key');
  });
});
