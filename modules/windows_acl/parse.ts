/**
 * The JSON the shared read script (windows_acl/read.ps1) returns, checked and turned into the
 * state both ACL kinds diff against: explicit entries merged by SID + type + flags with their
 * rights normalised, the owner, protection, and what each identity of the resource resolved to.
 */
import { knownSid } from '../service/windows/sid.ts';
import type { CommandResult } from '../../src/core/types.ts';
import { type AceType, type AclDesiredCommon, bitsToFlags, entryKey, INHERITANCE_BITS, type InheritanceFlag, isSid, normaliseSid, PROPAGATION_BITS, type PropagationFlag } from './model.ts';
import { type AclTarget, normalisedNames, normaliseMask } from './rights.ts';

export interface AceState {
  readonly sid: string;
  /** The account name, or null when the SID no longer maps to an account (a deleted user). */
  readonly name: string | null;
  readonly type: AceType;
  readonly inheritance: readonly InheritanceFlag[];
  readonly propagation: readonly PropagationFlag[];
  /** Normalised mask (generic bits mapped, Synchronize removed) and its names. */
  readonly mask: number;
  readonly rights: readonly string[];
}

export interface ResolvedIdentity {
  readonly identity: string;
  /** null: no such account on the host (yet). */
  readonly sid: string | null;
}

export type AclState =
  | { readonly exists: false; readonly identities: readonly ResolvedIdentity[] }
  | {
      readonly exists: true;
      readonly type: 'file' | 'directory' | 'key';
      readonly owner: { readonly sid: string; readonly name: string | null };
      readonly protected: boolean;
      /** Explicit entries only, one per SID + type + flags. */
      readonly entries: readonly AceState[];
      /** How many inherited entries there are (never changed, shown for context). */
      readonly inherited_entries: number;
      readonly identities: readonly ResolvedIdentity[];
    };

/** The identities the read script resolves: the owner's and every entry's, each once. */
export function identitiesOf(d: AclDesiredCommon): string[] {
  return [...new Set([...(d.owner === undefined ? [] : [d.owner]), ...(d.entries ?? []).map((e) => e.identity)])];
}

/**
 * The SID an identity stands for: a SID string itself, else what the host resolved it to, else
 * a SID known without the host (well-known accounts; `NT SERVICE\x` is derived from the name, so
 * a folder can be granted to a service's virtual account before the service exists).
 */
export function sidOf(identity: string, identities: readonly ResolvedIdentity[]): string | null {
  if (isSid(identity)) return normaliseSid(identity);
  return identities.find((r) => r.identity === identity)?.sid ?? knownSid(identity);
}

type Json = Record<string, unknown>;

function obj(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`unexpected read output: ${what} is not an object`);
  return v as Json;
}
function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Error(`unexpected read output: ${what} is not a string`);
  return v;
}
function int(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`unexpected read output: ${what} is not an integer`);
  return v;
}
/** ConvertTo-Json writes a one-element array as an array only when told to; accept both. */
function list(v: unknown): unknown[] {
  if (v === null || v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

export interface AclParseContext {
  readonly target: AclTarget;
  /** "the ACL of C:\app on <host>" style subject for messages. */
  readonly what: string;
}

export function parseAclState(result: CommandResult, d: AclDesiredCommon, ctx: AclParseContext): AclState {
  if (result.code !== 0) throw new Error(`cannot read ${ctx.what}: ${result.stderr.toString('utf8').trim() || `exit code ${result.code}`}`);
  const raw = obj(JSON.parse(result.stdout.toString('utf8')) as unknown, 'the result');
  const identities = list(raw.identities).map((v, i) => {
    const r = obj(v, `identities[${i}]`);
    return { identity: str(r.identity, 'identity'), sid: r.sid === null ? null : normaliseSid(str(r.sid, 'sid')) };
  });
  if (raw.exists === false) return { exists: false, identities };
  if (raw.exists !== true) throw new Error('unexpected read output: exists is not a boolean');
  const type = str(raw.type, 'type');
  const expected = ctx.target === 'file' ? ['file', 'directory'] : ['key'];
  if (!expected.includes(type)) throw new Error(`unexpected read output: type ${JSON.stringify(type)}`);
  if (raw.canonical !== true) {
    throw new Error(
      `${ctx.what} is not in canonical order (explicit deny, explicit allow, then inherited entries), so Windows APIs refuse to change it; ` +
        `reorder it first: open its Security tab in ${ctx.target === 'file' ? 'Explorer' : 'regedit'} and accept the offer to sort it, or rewrite the entries with ${ctx.target === 'file' ? 'icacls' : 'a tool such as SetACL'}`,
    );
  }
  const ownerRaw = obj(raw.owner, 'owner');
  const owner = { sid: normaliseSid(str(ownerRaw.sid, 'owner.sid')), name: ownerRaw.name === null ? null : str(ownerRaw.name, 'owner.name') };
  const merged = new Map<string, { sid: string; name: string | null; type: AceType; inheritance: InheritanceFlag[]; propagation: PropagationFlag[]; mask: number }>();
  list(raw.entries).forEach((v, i) => {
    const e = obj(v, `entries[${i}]`);
    const typeValue = int(e.type, 'entry type');
    if (typeValue !== 0 && typeValue !== 1) throw new Error(`unexpected read output: entry type ${typeValue}`);
    const entry = {
      sid: normaliseSid(str(e.sid, 'entry sid')),
      name: e.name === null ? null : str(e.name, 'entry name'),
      type: (typeValue === 0 ? 'allow' : 'deny') as AceType,
      inheritance: bitsToFlags(int(e.inheritance, 'inheritance'), INHERITANCE_BITS, 'inheritance'),
      propagation: bitsToFlags(int(e.propagation, 'propagation'), PROPAGATION_BITS, 'propagation'),
      mask: normaliseMask(ctx.target, int(e.rights, 'rights')),
    };
    // Two ACEs for the same SID, type and flags act as one with both masks.
    const key = entryKey(entry.sid, entry);
    const have = merged.get(key);
    if (have) have.mask = (have.mask | entry.mask) >>> 0;
    else merged.set(key, entry);
  });
  const entries = [...merged.values()].map((e) => ({ ...e, rights: normalisedNames(ctx.target, e.mask) }));
  if (type === 'file') {
    const flagged = (d.entries ?? []).find((e) => (e.inheritance ?? []).length > 0 || (e.propagation ?? []).length > 0);
    if (flagged) {
      throw new Error(`${ctx.what}: the entry for ${flagged.identity} has inheritance or propagation flags, but the path is a file, which cannot carry them; remove inheritance and propagation from it`);
    }
  }
  const seen = new Map<string, string>();
  for (const e of d.entries ?? []) {
    const sid = sidOf(e.identity, identities);
    if (sid === null) continue;
    const key = entryKey(sid, e);
    const other = seen.get(key);
    if (other !== undefined) throw new Error(`${ctx.what}: the entries for ${other} and ${e.identity} are the same account (${sid}) with the same type and flags; combine their rights into one entry`);
    seen.set(key, e.identity);
  }
  return {
    exists: true,
    type: type as 'file' | 'directory' | 'key',
    owner,
    protected: raw.protected === true,
    entries,
    inherited_entries: int(raw.inherited, 'inherited'),
    identities,
  };
}
