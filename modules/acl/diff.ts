/**
 * `acl`: the pure diff. One attribute per entry ("entries.user:app", "default_entries.mask"),
 * permissions compared in their three-character form so "r", "r--" and "4" never differ.
 */
import { unchanged, updateOrOk } from '../../src/core/diff.ts';
import type { AttributeChange, DiffResult } from '../../src/core/types.ts';
import { listWords } from '../file/index.ts';
import type { AclCurrent, AclEntryState } from './parse.ts';
import { type AclDesired, type AclEntry, entryKey, normalisePerms, NUMERIC } from './schema.ts';

export type ListName = 'entries' | 'default_entries';

/** Whether a current entry is the one the operator means: numbers are ids, names are names. */
export function matches(want: AclEntry, have: AclEntryState): boolean {
  if (want.type !== have.type) return false;
  if (want.name === undefined || have.name === undefined) return want.name === have.name;
  return NUMERIC.test(want.name) ? have.id === Number(want.name) : have.name === want.name;
}

export const isNamed = (e: { type: string; name?: string }): boolean => (e.type === 'user' || e.type === 'group') && e.name !== undefined;
/** Entries the mask limits: the named ones and the owning group. */
const inGroupClass = (e: { type: string; name?: string }): boolean => isNamed(e) || (e.type === 'group' && e.name === undefined);

function and(perms: string, mask: string): string {
  return [...perms].map((c, i) => (mask[i] === c ? c : '-')).join('');
}

/** What the list should end up as, decided from desired and current alone. */
export interface ListPlan {
  /** The listed entries with normalised permissions. */
  readonly wanted: readonly AclEntry[];
  readonly maskListed: boolean;
  /** Current named entries exact mode removes. */
  readonly removed: readonly AclEntryState[];
  /** Exact mode with no named entry and no mask listed: the mask goes too. */
  readonly removeMask: boolean;
  /** Exact mode with an empty default list: the whole default ACL goes (setfacl -k). */
  readonly removeAll: boolean;
}

export function planList(d: AclDesired, list: ListName, current: readonly AclEntryState[]): ListPlan | null {
  const listed = d[list];
  if (listed === undefined) return null;
  const exact = d.mode === 'exact';
  const wanted = listed.map((e) => ({ ...e, perms: normalisePerms(e.perms) }));
  const maskListed = wanted.some((e) => e.type === 'mask');
  const removeAll = exact && list === 'default_entries' && wanted.length === 0;
  const removed = exact ? current.filter((h) => isNamed(h) && !wanted.some((w) => matches(w, h))) : [];
  const removeMask = exact && !maskListed && !wanted.some(isNamed) && current.some((h) => h.type === 'mask');
  return { wanted, maskListed, removed, removeMask, removeAll };
}

/** The key of a current entry: its name as getfacl shows it (the id when it has no name). */
const currentKey = (e: AclEntryState): string => entryKey({ type: e.type, ...(e.name === undefined ? {} : { name: e.name }) });

export function listChanges(d: AclDesired, list: ListName, current: readonly AclEntryState[]): AttributeChange[] {
  const p = planList(d, list, current);
  if (p === null) return [];
  const at = (key: string): string => `${list}.${key}`;
  if (p.removeAll) return current.map((h) => ({ attribute: at(currentKey(h)), before: h.perms, after: undefined }));
  const changes: AttributeChange[] = [];
  const mask = current.find((h) => h.type === 'mask');
  for (const w of p.wanted) {
    const have = current.find((h) => matches(w, h));
    if (have === undefined) {
      changes.push({ attribute: at(entryKey(w)), before: undefined, after: w.perms });
    } else if (have.perms !== w.perms) {
      changes.push({ attribute: at(entryKey(w)), before: have.perms, after: w.perms });
    } else if (!p.maskListed && !p.removeMask && mask !== undefined && inGroupClass(w) && and(w.perms, mask.perms) !== w.perms) {
      // setfacl recalculates the mask when the entries are set again, so the entry gets its rights.
      changes.push({ attribute: at(entryKey(w)), before: `${have.perms} (effective ${and(have.perms, mask.perms)})`, after: w.perms });
    }
  }
  for (const h of p.removed) changes.push({ attribute: at(currentKey(h)), before: h.perms, after: undefined });
  if (p.removeMask && mask !== undefined) changes.push({ attribute: at('mask'), before: mask.perms, after: undefined });
  return changes;
}

function describeList(d: AclDesired, list: ListName): string {
  const listed = d[list];
  if (listed === undefined) return '';
  const exact = d.mode === 'exact';
  if (listed.length === 0) return exact ? (list === 'entries' ? 'no named entries and no mask' : 'no default ACL') : '';
  const items = listed.map((e) => `${entryKey(e)}=${normalisePerms(e.perms)}`).join(', ');
  const maskListed = listed.some((e) => e.type === 'mask');
  const how = !exact ? 'merge' : listed.some(isNamed) || maskListed ? 'exact: no other named entries' : 'exact: no named entries and no mask';
  const mask = maskListed || (exact && !listed.some(isNamed)) ? '' : '; mask not compared';
  return `${list === 'entries' ? 'entries' : 'default entries'} ${items} (${how}${mask})`;
}

function okReason(d: AclDesired): string {
  const checked = [describeList(d, 'entries'), describeList(d, 'default_entries')].filter(Boolean);
  const top = d.recursive ? ' (path itself only: what is below it is not read)' : '';
  return `ACL of ${d.path} has the desired ${checked.length === 0 ? 'entries' : listWords(checked)}${top}`;
}

/** Everything beyond the mode bits: named entries, the mask and the whole default ACL. */
function extended(c: { entries: readonly AclEntryState[]; default_entries: readonly AclEntryState[] }): AttributeChange[] {
  return [
    ...c.entries.filter((h) => isNamed(h) || h.type === 'mask').map((h) => ({ attribute: `entries.${currentKey(h)}`, before: h.perms, after: undefined })),
    ...c.default_entries.map((h) => ({ attribute: `default_entries.${currentKey(h)}`, before: h.perms, after: undefined })),
  ];
}

export function diff(d: AclDesired, c: AclCurrent): DiffResult {
  if (d.ensure === 'absent') {
    if (!c.exists) return unchanged(`${d.path} does not exist (no ACL)`);
    if (c.type === 'symlink') return unchanged(`${d.path} is a symbolic link, which has no ACL of its own`);
    const changes = extended(c);
    return changes.length === 0 ? unchanged(`${d.path} has no extended ACL (only the mode bits)`) : { status: 'change', action: 'delete', changes };
  }
  if (!c.exists) {
    // The path is made by another resource first (an automatic dependency) or apply fails.
    const created = (list: ListName): AttributeChange[] =>
      (planList(d, list, [])?.wanted ?? []).map((w) => ({ attribute: `${list}.${entryKey(w)}`, before: undefined, after: w.perms }));
    return {
      status: 'change',
      action: 'create',
      changes: [{ attribute: 'path', before: undefined, after: `${d.path} (must exist when applied)` }, ...created('entries'), ...created('default_entries')],
    };
  }
  if (c.type === 'symlink') return { status: 'change', action: 'update', changes: [{ attribute: 'type', before: 'symlink', after: 'file or directory' }] };
  const changes = [...listChanges(d, 'entries', c.entries), ...listChanges(d, 'default_entries', c.default_entries)];
  return updateOrOk(changes, okReason(d));
}
