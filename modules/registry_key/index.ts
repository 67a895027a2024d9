/**
 * `registry_key`: a registry key exists or not. Deleting a key with subkeys needs force: true
 * (the whole tree goes); values of the key go with it either way.
 */
import { psCommand } from '../../src/core/powershell-script.ts';
import type { AutoEdge, CommandResult, DiffResult, Module, PowerShellCommand } from '../../src/core/types.ts';
import { ensure } from '../../src/core/schema-fragments.ts';
import { hiveSchema, type KeyLocation, keyAndParents, keyInput, keyName, keyPathSchema, viewSchema } from './location.ts';

export interface RegistryKeyDesired extends KeyLocation {
  readonly ensure?: 'present' | 'absent';
  readonly force?: boolean;
}

export type RegistryKeyCurrent = { readonly exists: false } | { readonly exists: true; readonly subkeys: number; readonly values: number };

export const schema = {
  type: 'object',
  required: ['hive', 'path'],
  properties: {
    hive: hiveSchema,
    path: keyPathSchema,
    view: viewSchema,
    ensure: { ...ensure, description: 'present (default) creates the key and any missing keys above it; absent deletes it with its values.' },
    force: {
      type: 'boolean',
      default: false,
      description: 'With ensure: absent, also delete its subkeys (the whole tree). Without it, a key that has subkeys is an error at plan time.',
    },
  },
} as const;

function probe(d: RegistryKeyDesired): PowerShellCommand {
  return psCommand('registry_key/read', keyInput(d), `read registry key ${keyName(d)}`);
}

function parse(result: CommandResult, d: RegistryKeyDesired): RegistryKeyCurrent {
  if (result.code !== 0) throw new Error(`cannot read registry key ${keyName(d)}: ${result.stderr.toString('utf8').trim() || `exit code ${result.code}`}`);
  const raw = (JSON.parse(result.stdout.toString('utf8')) ?? {}) as { exists?: unknown; subkeys?: unknown; values?: unknown };
  if (raw.exists === false) return { exists: false };
  if (raw.exists !== true || typeof raw.subkeys !== 'number' || typeof raw.values !== 'number') throw new Error(`unexpected read output for registry key ${keyName(d)}`);
  if (d.ensure === 'absent' && d.force !== true && raw.subkeys > 0) {
    throw new Error(`registry key ${keyName(d)} has ${raw.subkeys} subkeys: deleting it needs force: true, which deletes them too (or delete the subkeys with their own registry_key resources)`);
  }
  return { exists: true, subkeys: raw.subkeys, values: raw.values };
}

function diff(d: RegistryKeyDesired, c: RegistryKeyCurrent): DiffResult {
  const name = keyName(d);
  if (d.ensure === 'absent') {
    if (!c.exists) return { status: 'ok', reason: `registry key ${name} does not exist` };
    const contents = [`${c.values} values`, ...(c.subkeys > 0 ? [`${c.subkeys} subkeys`] : [])].join(' and ');
    return { status: 'change', action: 'delete', changes: [{ attribute: 'exists', before: `true (${contents})`, after: false }] };
  }
  if (c.exists) return { status: 'ok', reason: `registry key ${name} exists` };
  return { status: 'change', action: 'create', changes: [{ attribute: 'exists', before: false, after: true }] };
}

function apply(d: RegistryKeyDesired): PowerShellCommand[] {
  const present = d.ensure !== 'absent';
  return [
    psCommand('registry_key/apply', { ...keyInput(d), ensure: present ? 'present' : 'absent', recurse: d.force === true }, `${present ? 'create' : 'delete'} registry key ${keyName(d)}`),
  ];
}

export const registryKeyModule: Module<RegistryKeyDesired, RegistryKeyCurrent> = {
  kind: 'registry_key',
  summary: 'A Windows registry key (HKLM, HKCU, HKU, HKCR, HKCC; 64- or 32-bit view): present or absent.',
  platforms: ['windows'],
  schema,
  sensitiveAttributes: [],
  name: keyName,
  check(d) {
    if (d.force === true && d.ensure !== 'absent') return [{ attribute: 'force', message: 'force only applies with ensure: absent' }];
    if (d.ensure === 'absent' && !d.path.includes('\\')) {
      return [{ attribute: 'path', message: `refusing to delete ${d.hive}\\${d.path}, a key directly below the hive`, hint: 'Delete the keys below it that you own instead.' }];
    }
    return [];
  },
  edges(d): AutoEdge[] {
    // Keys above it, when the playbook manages them (present ones are created first).
    return d.ensure === 'absent' ? [] : keyAndParents(d).slice(1).map((name) => ({ kind: 'registry_key', name }));
  },
  probe,
  parse: (result, desired) => parse(result, desired),
  diff,
  apply: (desired) => apply(desired),
};
