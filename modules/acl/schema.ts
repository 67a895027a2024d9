/** `acl`: the desired-state type, its JSON Schema, permission normalisation and semantic checks. */
import { absolutePath, ensure } from '../../src/core/schema-fragments.ts';

export type EntryType = 'user' | 'group' | 'mask' | 'other';

export interface AclEntry {
  readonly type: EntryType;
  /** A user or group name, or a numeric id (digits only); omitted: the owning user or group. */
  readonly name?: string;
  /** "rwx", "r-x", "r", "rw", "---", "x" or one octal digit. */
  readonly perms: string;
}

export interface AclDesired {
  readonly path: string;
  readonly ensure?: 'present' | 'absent';
  readonly entries?: readonly AclEntry[];
  readonly default_entries?: readonly AclEntry[];
  readonly mode?: 'exact' | 'merge';
  readonly recursive?: boolean;
}

export const NUMERIC = /^[0-9]+$/;
/** Ids setfacl can take: uid_t/gid_t, without (uid_t)-1, which means "no id". */
const MAX_ID = 4294967294;

const PERMS = /^(?:[r-][w-][x-]|(?=.)r?w?x?|[0-7])$/;

/** Any accepted spelling of a permission set as getfacl prints it: "r", "r--" and "4" are all "r--". */
export function normalisePerms(perms: string): string {
  if (!PERMS.test(perms)) throw new Error(`internal: unchecked permissions ${JSON.stringify(perms)}`);
  if (/^[0-7]$/.test(perms)) {
    const n = Number(perms);
    return `${n & 4 ? 'r' : '-'}${n & 2 ? 'w' : '-'}${n & 1 ? 'x' : '-'}`;
  }
  return `${perms.includes('r') ? 'r' : '-'}${perms.includes('w') ? 'w' : '-'}${perms.includes('x') ? 'x' : '-'}`;
}

/** The key of an entry in attribute names and messages: "user" (the owner), "user:app", "mask". */
export function entryKey(e: { type: EntryType; name?: string }): string {
  return e.name === undefined ? e.type : `${e.type}:${e.name}`;
}

const entry = {
  type: 'object',
  required: ['type', 'perms'],
  additionalProperties: false,
  properties: {
    type: {
      type: 'string',
      enum: ['user', 'group', 'mask', 'other'],
      description:
        'user or group: with a name, a named entry (part of the extended ACL); without a name, the owning user or group, i.e. the file mode bits. ' +
        'mask: the upper bound of every named entry and of the owning group entry. other: everybody else (mode bits).',
    },
    name: {
      type: 'string',
      minLength: 1,
      // Every other character reaches setfacl octal-escaped (":", ",", whitespace, "\"), so names
      // from NSS such as "DOMAIN\domain users" work; control characters cannot be in an account name.
      pattern: '^[^\\x00-\\x1f\\x7f]+$',
      description:
        'A user or group name, or a numeric id (digits only, quoted: YAML reads 1001 as a number; digits always mean an id, as setfacl reads them). ' +
        'Omit it for the owning user or group. Not allowed for mask and other. Any characters but control characters (":", ",", spaces and "\\" are escaped for setfacl).',
    },
    perms: {
      type: 'string',
      pattern: PERMS.source,
      description:
        'Permissions: "rwx", "r-x", "r", "rw", "---", "x" ... or one octal digit "0"-"7" (quoted). "r", "r--" and "4" are the same and never show as a change. ' +
        "setfacl's conditional X is not accepted (its result differs per file, so it could not be compared).",
    },
  },
} as const;

const entryList = (what: string): Record<string, unknown> => ({
  type: 'array',
  items: entry,
  description: what,
});

export const schema = {
  type: 'object',
  required: ['path'],
  properties: {
    path: {
      ...absolutePath,
      description:
        `${absolutePath.description} It must exist when applied (an acl never creates it): the file or directory resource of that path in the playbook is an automatic dependency. ` +
        'A symbolic link is refused (setfacl would change its target).',
    },
    ensure: {
      ...ensure,
      description:
        'present (default) sets the listed entries; absent removes the whole extended ACL (named entries, mask and the default ACL: setfacl -b -k), leaving only the mode bits. ' +
        'entries and default_entries are not given with absent.',
    },
    entries: entryList(
      'The access ACL. Entries without a name (user, group) and other ARE the file mode bits: setting them here is a chmod, and must agree with any mode a file or directory resource sets on the same path. ' +
        'When named entries exist, the group bits of the mode ARE the mask: a chmod (e.g. a file resource mode 0640) sets the mask. ' +
        'Without a mask entry the mask is not compared; setfacl recalculates it to cover every named entry and the owning group, and an entry the current mask restricts shows as a change ("rwx (effective r--)"). ' +
        'With a mask entry it is compared and set as given (setfacl -n). Omitted: the access ACL is not managed.',
    ),
    default_entries: entryList(
      'The default ACL of a directory: what files and directories created in it inherit. Same entries and mask rules as entries. ' +
        'Entries without a name are filled from the access ACL when a default ACL is first created. Omitted: not managed; with mode exact, [] removes the default ACL.',
    ),
    mode: {
      type: 'string',
      enum: ['merge', 'exact'],
      default: 'merge',
      description:
        'merge (default): the listed entries are ensured, others are left alone. exact: the listed named entries are the whole extended ACL: ' +
        'other named entries are removed, and so is the mask when no named entry is listed and no mask is listed. Entries without a name (the mode bits) are never removed. Applies to entries and default_entries, each when given.',
    },
    recursive: {
      type: 'boolean',
      default: false,
      description:
        'Apply to everything below the directory too (setfacl -R; default_entries only reach directories, and perms with x make files executable). ' +
        'Only the ACL of path itself is read and compared: entries below it that drifted are not seen, and nothing is applied while path itself matches.',
    },
  },
} as const;

export type Problem = { attribute: string; message: string; hint?: string };

function checkList(list: readonly AclEntry[] | undefined, attribute: 'entries' | 'default_entries'): Problem[] {
  if (list === undefined) return [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  list.forEach((e, i) => {
    // The attribute is the list (diagnostics point at it); the message says which item.
    const item = `item ${i + 1} (${e.type})`;
    if ((e.type === 'mask' || e.type === 'other') && e.name !== undefined) {
      problems.push({ attribute, message: `${item}: a ${e.type} entry takes no name`, hint: 'Named entries are of type user or group.' });
    }
    if (e.name !== undefined && !e.name.isWellFormed()) problems.push({ attribute, message: `${item}: the name is not valid Unicode (lone surrogate)` });
    if (e.name !== undefined && NUMERIC.test(e.name) && Number(e.name) > MAX_ID) {
      problems.push({ attribute, message: `${item}: ${e.name} is not a valid ${e.type} id`, hint: `Ids go up to ${MAX_ID}.` });
    }
    const key = e.name !== undefined && NUMERIC.test(e.name) ? `${e.type}:#${Number(e.name)}` : entryKey(e);
    if (seen.has(key)) problems.push({ attribute, message: `${item}: the ${entryKey(e)} entry is listed twice`, hint: 'List each entry once.' });
    seen.add(key);
  });
  return problems;
}

export function check(d: AclDesired): Problem[] {
  if (d.ensure === 'absent') {
    return (['entries', 'default_entries'] as const)
      .filter((a) => d[a] !== undefined)
      .map((attribute) => ({
        attribute,
        message: `${attribute} is not used with ensure: absent`,
        hint: 'ensure: absent removes the whole extended ACL; remove the list, or use mode: exact to keep some entries.',
      }));
  }
  const problems = [...checkList(d.entries, 'entries'), ...checkList(d.default_entries, 'default_entries')];
  const listed = (d.entries?.length ?? 0) + (d.default_entries?.length ?? 0);
  if (d.entries === undefined && d.default_entries === undefined) {
    problems.push({ attribute: 'entries', message: 'nothing to manage: give entries, default_entries or both' });
  } else if (listed === 0 && d.mode !== 'exact') {
    problems.push({ attribute: 'entries', message: 'nothing to manage: the lists are empty', hint: 'With mode: exact, empty lists remove the named entries and the default ACL.' });
  }
  return problems;
}
