/**
 * The access-control model ntfs_acl and registry_acl share: an owner, inheritance protection,
 * explicit Allow/Deny entries and purge. Identities are names or SID strings; everything is
 * compared by SID once the host has resolved them.
 */
import { type AclTarget, rightNames } from './rights.ts';

export type AceType = 'allow' | 'deny';
export type InheritanceFlag = 'container' | 'object';
export type PropagationFlag = 'no_propagate' | 'inherit_only';

export interface AclEntryDesired {
  /** "BUILTIN\Users", "Users", "NT SERVICE\app", "CONTOSO\svc$" or a SID string "S-1-5-32-545". */
  readonly identity: string;
  readonly rights: readonly string[];
  readonly type?: AceType;
  readonly inheritance?: readonly InheritanceFlag[];
  readonly propagation?: readonly PropagationFlag[];
}

export interface AclDesiredCommon {
  readonly owner?: string;
  readonly inheritance?: 'protected' | 'inherited';
  readonly copy_inherited?: boolean;
  readonly entries?: readonly AclEntryDesired[];
  readonly purge?: boolean;
}

/** .NET's InheritanceFlags and PropagationFlags bits. */
export const INHERITANCE_BITS: Readonly<Record<InheritanceFlag, number>> = { container: 1, object: 2 };
export const PROPAGATION_BITS: Readonly<Record<PropagationFlag, number>> = { no_propagate: 1, inherit_only: 2 };
/** .NET's AccessControlType. */
export const ACE_TYPE_VALUES: Readonly<Record<AceType, number>> = { allow: 0, deny: 1 };

export const SID = /^S-1-[0-9]+(-[0-9]+)*$/i;

export function isSid(identity: string): boolean {
  return SID.test(identity);
}

/** SIDs are case-insensitive ("s-1-5-18" is "S-1-5-18"); Windows prints them upper case. */
export function normaliseSid(sid: string): string {
  return sid.toUpperCase();
}

export function flagsToBits<F extends string>(flags: readonly F[] | undefined, bits: Readonly<Record<F, number>>): number {
  return (flags ?? []).reduce((m, f) => m | bits[f], 0);
}

/** Flag names of a bit field, in a fixed order; unknown bits are an error (.NET defines no others). */
export function bitsToFlags<F extends string>(value: number, bits: Readonly<Record<F, number>>, what: string): F[] {
  const names = Object.keys(bits) as F[];
  const known = names.reduce((m, f) => m | bits[f], 0);
  if (!Number.isInteger(value) || (value & ~known) !== 0) throw new Error(`unexpected ${what} value ${value}`);
  return names.filter((f) => (value & bits[f]) !== 0);
}

const identity = {
  type: 'string',
  minLength: 1,
  maxLength: 512,
  pattern: '^[^\\x00-\\x1f\\x7f]+$',
  description:
    'An account or group: a name ("BUILTIN\\Administrators", "Users", "NT AUTHORITY\\SYSTEM", "NT SERVICE\\app", "CONTOSO\\gmsa$") or a SID string ("S-1-5-32-545"). ' +
    'Names are resolved to SIDs on the host and compared by SID; a name that does not resolve yet (an account another resource creates) is resolved when applied.',
} as const;

function entrySchema(target: AclTarget): Record<string, unknown> {
  const noun = target === 'file' ? 'folder' : 'key';
  return {
    type: 'object',
    required: ['identity', 'rights'],
    additionalProperties: false,
    properties: {
      identity,
      rights: {
        type: 'array',
        minItems: 1,
        uniqueItems: true,
        items: { type: 'string', enum: rightNames(target) },
        description:
          target === 'file'
            ? 'FileSystemRights names, combined: e.g. [FullControl], [Modify], [ReadAndExecute], [Read, Write]. Synchronize is never compared (Windows adds it to Allow entries), and generic rights on the host (GENERIC_ALL ...) compare as what they mean for files.'
            : 'RegistryRights names, combined: e.g. [FullControl], [ReadKey], [ReadKey, SetValue]. Generic rights on the host (GENERIC_READ ...) compare as what they mean for keys.',
      },
      type: { type: 'string', enum: ['allow', 'deny'], default: 'allow', description: 'allow (default) or deny.' },
      inheritance: {
        type: 'array',
        uniqueItems: true,
        items: { type: 'string', enum: target === 'file' ? ['container', 'object'] : ['container'] },
        description:
          target === 'file'
            ? 'Who inherits the entry (folders only; a file cannot carry these): container = subfolders, object = files. [container, object] is "this folder, subfolders and files". Omitted or []: this folder only.'
            : 'container: subkeys inherit the entry ("this key and subkeys"). Omitted or []: this key only.',
      },
      propagation: {
        type: 'array',
        uniqueItems: true,
        items: { type: 'string', enum: ['no_propagate', 'inherit_only'] },
        description: `Needs inheritance. no_propagate: only direct children inherit; inherit_only: the entry applies to children, not to the ${noun} itself.`,
      },
    },
  };
}

/** The attributes ntfs_acl and registry_acl share, for their schemas. */
export function aclProperties(target: AclTarget): Record<string, unknown> {
  return {
    owner: { ...identity, description: `The owner. ${identity.description} Setting another account than yourself as owner needs SeRestorePrivilege (administrators have it; it is enabled for the change).` },
    inheritance: {
      type: 'string',
      enum: ['protected', 'inherited'],
      description:
        `protected: the ${target === 'file' ? 'path' : 'key'} does not inherit entries from its parent (see copy_inherited). inherited: it does. Omitted: not managed.`,
    },
    copy_inherited: {
      type: 'boolean',
      default: false,
      description:
        'When inheritance changes to protected: true copies the inherited entries as explicit ones first; false (default) drops them (make sure the listed entries still let administrators in). No effect when already protected.',
    },
    entries: { type: 'array', items: entrySchema(target), description: 'Explicit entries to ensure, compared by SID, type, inheritance and propagation; the order they are listed in does not matter (Windows keeps the canonical order: deny before allow).' },
    purge: {
      type: 'boolean',
      default: false,
      description: 'true: explicit entries not listed in entries are removed. Inherited entries are never removed (use inheritance: protected).',
    },
  };
}

export type Problem = { attribute: string; message: string; hint?: string };

export function checkAcl(d: AclDesiredCommon): Problem[] {
  const problems: Problem[] = [];
  if (d.owner === undefined && d.inheritance === undefined && d.entries === undefined && d.purge !== true) {
    problems.push({ attribute: 'entries', message: 'nothing to manage: give owner, inheritance, entries or purge' });
  }
  if (d.copy_inherited === true && d.inheritance !== 'protected') {
    problems.push({ attribute: 'copy_inherited', message: 'copy_inherited only applies with inheritance: protected' });
  }
  if (d.copy_inherited === true && d.purge === true) {
    problems.push({
      attribute: 'copy_inherited',
      message: 'copy_inherited has no effect with purge: true (the copied entries are explicit, unlisted, and would be purged)',
      hint: 'List the entries you want to keep and drop copy_inherited.',
    });
  }
  const seen = new Set<string>();
  (d.entries ?? []).forEach((e, i) => {
    const item = `item ${i + 1} (${e.identity})`;
    if ((e.propagation ?? []).length > 0 && (e.inheritance ?? []).length === 0) {
      problems.push({ attribute: 'entries', message: `${item}: propagation needs inheritance`, hint: 'Add inheritance: [container] or [container, object], or drop propagation.' });
    }
    if (e.rights.length === 1 && e.rights[0] === 'Synchronize') {
      problems.push({ attribute: 'entries', message: `${item}: Synchronize alone grants nothing that is compared`, hint: 'Give the rights the entry is for, e.g. [Read].' });
    }
    const key = entryKey(isSid(e.identity) ? normaliseSid(e.identity) : e.identity.toLowerCase(), e);
    if (seen.has(key)) problems.push({ attribute: 'entries', message: `${item}: listed twice with the same type, inheritance and propagation`, hint: 'Combine the rights into one entry.' });
    seen.add(key);
  });
  return problems;
}

/**
 * What identifies an ACE: SID, type, inheritance and propagation bits. The apply script builds
 * the same string on the host to find the rules it replaces.
 */
export function entryKey(sid: string, e: { type?: AceType; inheritance?: readonly InheritanceFlag[]; propagation?: readonly PropagationFlag[] }): string {
  return [sid, ACE_TYPE_VALUES[e.type ?? 'allow'], flagsToBits(e.inheritance, INHERITANCE_BITS), flagsToBits(e.propagation, PROPAGATION_BITS)].join('|');
}

/** "allow BUILTIN\Users (container, object; inherit_only)": an entry in attribute names. */
export function entryLabel(who: string, e: { type?: AceType; inheritance?: readonly InheritanceFlag[]; propagation?: readonly PropagationFlag[] }): string {
  const inh = bitsToFlags(flagsToBits(e.inheritance, INHERITANCE_BITS), INHERITANCE_BITS, 'inheritance');
  const prop = bitsToFlags(flagsToBits(e.propagation, PROPAGATION_BITS), PROPAGATION_BITS, 'propagation');
  const flags = inh.length === 0 ? '' : ` (${inh.join(', ')}${prop.length === 0 ? '' : `; ${prop.join(', ')}`})`;
  return `${e.type ?? 'allow'} ${who}${flags}`;
}
