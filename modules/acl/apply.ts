/**
 * `acl`: changes to setfacl commands, one per ACL (access, default) that changes, each entry
 * one argv element. Every listed entry is set again, not only the changed ones, so with
 * `recursive` the whole tree gets the full list; without a listed mask setfacl recalculates it.
 */
import type { Command, DiffResult } from '../../src/core/types.ts';
import { refuse } from '../file/index.ts';
import { isNamed, type ListName, type ListPlan, planList } from './diff.ts';
import type { AclCurrent, AclEntryState } from './parse.ts';
import type { AclDesired, AclEntry, EntryType } from './schema.ts';

const LETTER: Record<EntryType, string> = { user: 'u', group: 'g', mask: 'm', other: 'o' };

/**
 * A name as setfacl reads it: it splits entries at "," and whitespace and fields at ":", and
 * unescapes "\ooo", so those characters and "\" itself travel octal-escaped.
 */
export function escapeName(name: string): string {
  const escaped = (code: number): boolean => code === 0x5c || code === 0x3a || code === 0x2c || code <= 0x20 || code === 0x7f;
  return [...name].map((ch) => (escaped(ch.charCodeAt(0)) ? `\\${ch.charCodeAt(0).toString(8).padStart(3, '0')}` : ch)).join('');
}

/** "u:app:rwx", "g::r-x", "m::rwx". */
export function entrySpec(e: AclEntry): string {
  return `${LETTER[e.type]}:${e.name === undefined ? '' : escapeName(e.name)}:${e.perms}`;
}

/** A named entry to remove, by id: no name to escape, and right even when the name is gone. */
const removalSpec = (e: AclEntryState): string => `${LETTER[e.type]}:${e.id ?? ''}`;

// $1 path, $2 "exact" to drop the named entries the path has now (it did not exist when
// planned, and may have inherited some), then setfacl's arguments.
const ON_NEW_PATH = [
  'p=$1 s=$2; shift 2',
  'if [ -L "$p" ]; then printf "%s is a symbolic link: setfacl would change the ACL of its target\\n" "$p" >&2; exit 1; fi',
  'if [ ! -e "$p" ]; then',
  '  printf "%s does not exist: an acl resource does not create it; declare a file or directory resource for it\\n" "$p" >&2; exit 1',
  'fi',
  'if [ "$s" = exact ]; then',
  '  a=$(getfacl -p -n -a -E --omit-header -- "$p") || exit 1',
  '  for e in $(printf "%s\\n" "$a" | sed -n -e "s/^user:\\([0-9][0-9]*\\):.*/u:\\1/p" -e "s/^group:\\([0-9][0-9]*\\):.*/g:\\1/p"); do set -- -x "$e" "$@"; done',
  'fi',
  'exec setfacl "$@"',
].join('\n');

/** setfacl's arguments for one list; `reset` first removes the whole default ACL (a new path's inherited one). */
function setfaclArgs(d: AclDesired, list: ListName, p: ListPlan, reset = false): string[] {
  const recursive = d.recursive ? ['-R'] : [];
  if (p.removeAll) return [...recursive, '-k', '--', d.path];
  return [
    ...recursive,
    ...(p.maskListed ? ['-n'] : []),
    ...(reset ? ['-k'] : []),
    ...(list === 'default_entries' ? ['-d'] : []),
    ...p.removed.flatMap((e) => ['-x', removalSpec(e)]),
    ...(p.removeMask ? ['-x', 'm::'] : []),
    ...p.wanted.flatMap((e) => ['-m', entrySpec(e)]),
    '--',
    d.path,
  ];
}

const label = (d: AclDesired, list: ListName): string => `set ${list === 'entries' ? 'acl' : 'default acl'} of ${d.path}`;

export function apply(d: AclDesired, c: AclCurrent, diff: DiffResult & { status: 'change' }): Command[] {
  if (diff.action === 'delete') {
    const hasDefault = c.exists && c.type !== 'symlink' && c.default_entries.length > 0;
    return [{ argv: ['setfacl', ...(d.recursive ? ['-R'] : []), '-b', ...(hasDefault ? ['-k'] : []), '--', d.path], label: `remove extended acl of ${d.path}` }];
  }
  if (c.exists && c.type === 'symlink') {
    return [refuse(`${d.path} is a symbolic link: setfacl would change the ACL of its target; manage the target path instead`, `refuse acl of symlink ${d.path}`)];
  }
  const changed = (list: ListName): boolean => diff.changes.some((ch) => ch.attribute.startsWith(`${list}.`));
  const commands: Command[] = [];
  if (!c.exists) {
    // Planned before the path existed: it exists now (a dependency made it) or the command says so.
    const exact = d.mode === 'exact';
    for (const list of ['entries', 'default_entries'] as const) {
      const p = planList(d, list, []);
      if (p === null || (p.wanted.length === 0 && !exact)) continue;
      // Nothing was read, so exact mode cannot know whether a mask will be there: drop it if it would be alone.
      const fresh: ListPlan = list === 'entries' ? { ...p, removeMask: exact && !p.maskListed && !p.wanted.some(isNamed) } : p;
      // In exact mode a new directory's inherited default ACL is dropped before the list is set.
      const args = setfaclArgs(d, list, fresh, list === 'default_entries' && exact);
      const strip = list === 'entries' && exact ? 'exact' : '';
      commands.push({ argv: ['sh', '-c', ON_NEW_PATH, 'sh', d.path, strip, ...args], label: label(d, list) });
    }
    return commands;
  }
  if (changed('default_entries') && c.type !== 'directory') {
    return [refuse(`${d.path} is a ${c.type}: only directories have default ACLs (default_entries)`, `refuse default acl of ${c.type} ${d.path}`)];
  }
  for (const list of ['entries', 'default_entries'] as const) {
    const p = planList(d, list, c[list]);
    if (p === null || !changed(list)) continue;
    commands.push({ argv: ['setfacl', ...setfaclArgs(d, list, p)], label: label(d, list) });
  }
  return commands;
}
