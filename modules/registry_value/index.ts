/**
 * `registry_value`: one value of a registry key, its type (RegistryValueKind) and data. A type change is a change;
 * data is compared in normal form (see data.ts), arrays element by element, and an
 * ExpandString is compared as written (%PATH% is never expanded).
 */
import { jsonEqual } from '../../src/core/json.ts';
import { psCommand } from '../../src/core/powershell-script.ts';
import { ensure } from '../../src/core/schema-fragments.ts';
import type { AttributeChange, AutoEdge, CommandResult, DiffResult, JsonValue, Module, PowerShellCommand } from '../../src/core/types.ts';
import { hiveSchema, type Hive, keyAndParents, keyInput, keyName, keyPathSchema, type View, viewSchema } from '../registry_key/location.ts';
import { dataForApply, HEX, type NormalData, normaliseDesired, normaliseRead, VALUE_KINDS, type ValueKind } from './data.ts';

export interface RegistryValueDesired {
  readonly hive: Hive;
  readonly key: string;
  readonly view?: View;
  /** '' is the key's (Default) value. */
  readonly name: string;
  readonly ensure?: 'present' | 'absent';
  readonly type?: ValueKind;
  readonly data?: string | number | readonly string[];
}

export type RegistryValueCurrent =
  | { readonly key_exists: boolean; readonly exists: false }
  | { readonly key_exists: true; readonly exists: true; readonly type: string; readonly data: NormalData | null };

const kindIs = (kind: ValueKind, data: Record<string, unknown>): Record<string, unknown> => ({
  if: { properties: { type: { const: kind } }, required: ['type'] },
  then: { properties: { data } },
});

export const schema = {
  type: 'object',
  required: ['hive', 'key', 'name'],
  properties: {
    hive: hiveSchema,
    key: keyPathSchema,
    view: viewSchema,
    name: { type: 'string', maxLength: 16383, pattern: '^[^\\x00]*$', description: 'The value name; "" is the key\'s (Default) value. Case-insensitive, as Windows treats it.' },
    ensure: { ...ensure, description: 'present (default) sets the value (creating its key when missing); absent deletes the value (type and data are not given).' },
    type: { type: 'string', enum: VALUE_KINDS, description: 'The registry type ("kind" in .NET, a word resources keep for their own kind): String (REG_SZ), ExpandString (REG_EXPAND_SZ), MultiString (REG_MULTI_SZ), DWord, QWord, Binary, None. Required with ensure: present; a different type on the host is a change.' },
    data: {
      type: ['string', 'number', 'array'],
      items: { type: 'string' },
      description:
        'String, ExpandString: text (an ExpandString is stored and compared as written: "%ProgramData%\\app" is never expanded). MultiString: a list of strings (order matters). ' +
        'DWord: 0 to 4294967295, a number or text ("0xFFFFFFFF"). QWord: text ("18446744073709551615", "0x10") for any value, or a number up to 9007199254740991 (larger YAML numbers lose precision before provision sees them). ' +
        'Binary: hex bytes ("01ff", "01 ff", "01:FF", "01-ff"). None: optional hex bytes (default none).',
    },
  },
  allOf: [
    kindIs('String', { type: 'string' }),
    kindIs('ExpandString', { type: 'string' }),
    kindIs('MultiString', { type: 'array' }),
    kindIs('DWord', { anyOf: [{ type: 'integer', minimum: 0, maximum: 4294967295 }, { type: 'string', pattern: '^(0[xX][0-9a-fA-F]{1,8}|[0-9]{1,10})$' }] }),
    kindIs('QWord', { anyOf: [{ type: 'integer', minimum: 0, maximum: 9007199254740991 }, { type: 'string', pattern: '^(0[xX][0-9a-fA-F]{1,16}|[0-9]{1,20})$' }] }),
    kindIs('Binary', { type: 'string', pattern: HEX.source }),
    kindIs('None', { type: 'string', pattern: HEX.source }),
  ],
} as const;

const location = (d: RegistryValueDesired): { hive: Hive; path: string; view?: View } => ({ hive: d.hive, path: d.key, ...(d.view === undefined ? {} : { view: d.view }) });
const valueLabel = (d: RegistryValueDesired): string => (d.name === '' ? '(Default)' : d.name);
const fullName = (d: RegistryValueDesired): string => `${keyName(location(d))} [${valueLabel(d)}]`;

function probe(d: RegistryValueDesired): PowerShellCommand {
  return psCommand('registry_value/read', { ...keyInput(location(d)), name: d.name }, `read registry value ${fullName(d)}`);
}

function parse(result: CommandResult, d: RegistryValueDesired): RegistryValueCurrent {
  const what = `registry value ${fullName(d)}`;
  if (result.code !== 0) throw new Error(`cannot read ${what}: ${result.stderr.toString('utf8').trim() || `exit code ${result.code}`}`);
  const raw = (JSON.parse(result.stdout.toString('utf8')) ?? {}) as { key_exists?: unknown; exists?: unknown; kind?: unknown; data?: unknown };
  if (typeof raw.key_exists !== 'boolean' || typeof raw.exists !== 'boolean') throw new Error(`unexpected read output for ${what}`);
  if (!raw.exists) return { key_exists: raw.key_exists, exists: false };
  if (typeof raw.kind !== 'string') throw new Error(`unexpected read output for ${what}: no kind`);
  try {
    return { key_exists: true, exists: true, type: raw.kind, data: normaliseRead(raw.kind, raw.data) };
  } catch (e) {
    throw new Error(`unexpected read output for ${what}: ${(e as Error).message}`);
  }
}

/** The desired value in normal form; check() has refused any that does not fit its type. */
function wanted(d: RegistryValueDesired): { kind: ValueKind; data: NormalData } {
  const kind = d.type ?? 'String';
  const data = normaliseDesired(kind, d.data);
  if (data === null) throw new Error(`internal: unchecked ${kind} data`);
  return { kind, data };
}

const shown = (data: NormalData | null): JsonValue => (Array.isArray(data) ? [...(data as readonly string[])] : (data as string | number | null));

function diff(d: RegistryValueDesired, c: RegistryValueCurrent): DiffResult {
  const name = fullName(d);
  if (d.ensure === 'absent') {
    if (!c.exists) return { status: 'ok', reason: `registry value ${name} does not exist` };
    return { status: 'change', action: 'delete', changes: [{ attribute: 'type', before: c.type, after: undefined }, { attribute: 'data', before: shown(c.data), after: undefined }] };
  }
  const w = wanted(d);
  if (!c.exists) {
    const changes: AttributeChange[] = [
      ...(c.key_exists ? [] : [{ attribute: 'key', before: undefined, after: `${keyName(location(d))} (created)` }]),
      { attribute: 'type', before: undefined, after: w.kind },
      { attribute: 'data', before: undefined, after: shown(w.data) },
    ];
    return { status: 'change', action: 'create', changes };
  }
  const changes: AttributeChange[] = [];
  if (c.type !== w.kind) changes.push({ attribute: 'type', before: c.type, after: w.kind });
  if (!jsonEqual(shown(c.data), shown(w.data))) changes.push({ attribute: 'data', before: shown(c.data), after: shown(w.data) });
  return changes.length === 0 ? { status: 'ok', reason: `registry value ${name} is ${w.kind} ${JSON.stringify(shown(w.data))}` } : { status: 'change', action: 'update', changes };
}

function apply(d: RegistryValueDesired): PowerShellCommand[] {
  const input = { ...keyInput(location(d)), name: d.name };
  if (d.ensure === 'absent') return [psCommand('registry_value/apply', { ...input, ensure: 'absent' }, `delete registry value ${fullName(d)}`)];
  const w = wanted(d);
  return [psCommand('registry_value/apply', { ...input, ensure: 'present', kind: w.kind, data: dataForApply(w.kind, w.data) }, `set registry value ${fullName(d)}`)];
}

export const registryValueModule: Module<RegistryValueDesired, RegistryValueCurrent> = {
  kind: 'registry_value',
  summary: 'A Windows registry value: type (String, ExpandString, MultiString, DWord, QWord, Binary, None) and data, or its absence.',
  platforms: ['windows'],
  schema,
  sensitiveAttributes: [],
  name: fullName,
  check(d) {
    if (d.ensure === 'absent') {
      return (['type', 'data'] as const).filter((a) => d[a] !== undefined).map((attribute) => ({ attribute, message: `${attribute} is not used with ensure: absent`, hint: `Remove ${attribute}.` }));
    }
    if (d.type === undefined) return [{ attribute: 'type', message: 'type is required with ensure: present', hint: 'e.g. type: String' }];
    if (d.data === undefined && d.type !== 'None') return [{ attribute: 'data', message: `data is required for a ${d.type} value` }];
    if (normaliseDesired(d.type, d.data) === null) {
      const hint: Record<ValueKind, string> = {
        String: 'Give text.',
        ExpandString: 'Give text.',
        MultiString: 'Give a list of strings.',
        DWord: 'Give 0 to 4294967295 (0xFFFFFFFF).',
        QWord: 'Give 0 to 18446744073709551615 as text, e.g. "0xFFFFFFFFFFFFFFFF".',
        Binary: 'Give hex bytes, e.g. "01ff".',
        None: 'Give hex bytes, e.g. "01ff", or nothing.',
      };
      return [{ attribute: 'data', message: `data does not fit type ${d.type}`, hint: hint[d.type] }];
    }
    return [];
  },
  edges(d): AutoEdge[] {
    return keyAndParents(location(d)).map((name) => ({ kind: 'registry_key', name }));
  },
  probe,
  parse: (result, desired) => parse(result, desired),
  diff,
  apply: (desired) => apply(desired),
};
