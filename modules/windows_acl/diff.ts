/**
 * The pure diff both ACL kinds share, and the input of the shared apply script. Entries are
 * matched by SID + type + inheritance + propagation and compared by normalised rights, so order,
 * Synchronize and generic bits never show as changes.
 */
import { updateOrOk } from '../../src/core/diff.ts';
import type { AttributeChange, DiffResult, JsonObject, JsonValue } from '../../src/core/types.ts';
import { ACE_TYPE_VALUES, type AclDesiredCommon, type AclEntryDesired, entryKey, entryLabel, flagsToBits, INHERITANCE_BITS, PROPAGATION_BITS } from './model.ts';
import { type AceState, type AclState, sidOf } from './parse.ts';
import { type AclTarget, describeRights, namesToMask, normaliseMask } from './rights.ts';

/** The desired mask in the form the host's is compared in. */
export function desiredMask(target: AclTarget, e: AclEntryDesired): number {
  return normaliseMask(target, namesToMask(target, e.rights));
}

const protectionText = (d: AclDesiredCommon): string =>
  d.inheritance === 'inherited' ? 'inherited' : d.copy_inherited === true ? 'protected (inherited entries copied)' : 'protected (inherited entries dropped)';

const currentLabel = (e: AceState): string => entryLabel(e.name ?? e.sid, e);

interface EntryPlan {
  readonly entry: AclEntryDesired;
  /** The SID when known at plan time; null: resolved by name when applied. */
  readonly sid: string | null;
  readonly current: AceState | undefined;
  readonly write: boolean;
}

function planEntries(target: AclTarget, d: AclDesiredCommon, c: AclState): EntryPlan[] {
  const entries = c.exists ? c.entries : [];
  return (d.entries ?? []).map((entry) => {
    const sid = sidOf(entry.identity, c.identities);
    const current = sid === null ? undefined : entries.find((h) => entryKey(h.sid, h) === entryKey(sid, entry));
    return { entry, sid, current, write: current === undefined || current.mask !== desiredMask(target, entry) };
  });
}

function purged(d: AclDesiredCommon, c: AclState & { exists: true }, plans: readonly EntryPlan[]): AceState[] {
  if (d.purge !== true) return [];
  const kept = new Set(plans.filter((p) => p.sid !== null).map((p) => entryKey(p.sid ?? '', p.entry)));
  return c.entries.filter((h) => !kept.has(entryKey(h.sid, h)));
}

export function aclChanges(target: AclTarget, d: AclDesiredCommon, c: AclState): AttributeChange[] {
  const changes: AttributeChange[] = [];
  if (d.owner !== undefined) {
    const sid = sidOf(d.owner, c.identities);
    if (!c.exists || sid === null || sid !== c.owner.sid) {
      changes.push({ attribute: 'owner', before: c.exists ? (c.owner.name ?? c.owner.sid) : undefined, after: sid === null ? `${d.owner} (resolved when applied)` : d.owner });
    }
  }
  if (d.inheritance !== undefined) {
    const now = c.exists ? (c.protected ? 'protected' : 'inherited') : undefined;
    if (now !== d.inheritance) changes.push({ attribute: 'inheritance', before: now, after: protectionText(d) });
  }
  const plans = planEntries(target, d, c);
  for (const p of plans) {
    if (!p.write) continue;
    const after = describeRights(target, desiredMask(target, p.entry)) + (p.sid === null ? ' (account resolved when applied)' : '');
    changes.push({ attribute: `entries.${entryLabel(p.entry.identity, p.entry)}`, before: p.current === undefined ? undefined : describeRights(target, p.current.mask), after });
  }
  if (c.exists) {
    for (const h of purged(d, c, plans)) changes.push({ attribute: `entries.${currentLabel(h)}`, before: describeRights(target, h.mask), after: undefined });
  }
  return changes;
}

export function aclDiff(target: AclTarget, d: AclDesiredCommon, c: AclState, subject: string): DiffResult {
  const changes = aclChanges(target, d, c);
  if (!c.exists) {
    // Another resource (an installer, a service) may create it first; apply fails clearly if not.
    return { status: 'change', action: 'create', changes: [{ attribute: 'exists', before: false, after: `${subject} (must exist when applied)` }, ...changes] };
  }
  const managed = [
    d.owner === undefined ? '' : `owner ${d.owner}`,
    d.inheritance === undefined ? '' : d.inheritance,
    d.entries === undefined ? '' : `${d.entries.length} listed ${d.entries.length === 1 ? 'entry' : 'entries'}`,
    d.purge === true ? 'no other explicit entries' : '',
  ].filter(Boolean);
  return updateOrOk(changes, `the ACL of ${subject} has ${managed.join(', ')}`);
}

/** An identity for the apply script: the SID when known, else the name it translates there. */
function identityRef(identity: string, c: AclState): JsonObject {
  return { identity, sid: sidOf(identity, c.identities) };
}

/**
 * The shared apply script's input (besides where the ACL is): what to change, in the order the
 * script does it: owner, then protection, then entries (each step re-reads the ACL).
 */
export function aclApplyInput(target: AclTarget, d: AclDesiredCommon, c: AclState): { [key: string]: JsonValue } {
  const changed = new Set(aclChanges(target, d, c).map((ch) => ch.attribute));
  const plans = planEntries(target, d, c);
  const entriesChange = [...changed].some((a) => a.startsWith('entries.'));
  return {
    owner: changed.has('owner') && d.owner !== undefined ? identityRef(d.owner, c) : null,
    protection: changed.has('inheritance') ? { protected: d.inheritance === 'protected', copy: d.copy_inherited === true } : null,
    entries: entriesChange
      ? plans.map((p) => ({
          ...identityRef(p.entry.identity, c),
          rights: namesToMask(target, p.entry.rights),
          type: ACE_TYPE_VALUES[p.entry.type ?? 'allow'],
          inheritance: flagsToBits(p.entry.inheritance, INHERITANCE_BITS),
          propagation: flagsToBits(p.entry.propagation, PROPAGATION_BITS),
          write: p.write,
        }))
      : [],
    purge: entriesChange && d.purge === true,
  };
}
