/**
 * `user_right`: which accounts hold a Windows user right or privilege (SeServiceLogonRight,
 * SeBatchLogonRight, SeDenyServiceLogonRight, SeDebugPrivilege, ...). Accounts are compared by
 * SID: the read script resolves the names on the host. Read and written through the LSA policy
 * API (lsa.ps1: LsaEnumerateAccountsWithUserRight, LsaAddAccountRights, LsaRemoveAccountRights,
 * P/Invoke with Add-Type), not secedit.
 */
import { unchanged } from '../../src/core/diff.ts';
import { windowsCommand } from '../service/windows/script.ts';
import type { CommandResult, DiffResult, Module } from '../../src/core/types.ts';
import { knownSid } from '../service/windows/sid.ts';

export interface UserRightDesired {
  readonly name: string;
  readonly accounts: readonly string[];
  readonly action?: 'add' | 'remove' | 'set';
}

export interface Holder {
  readonly sid: string;
  readonly name: string;
}

export interface UserRightCurrent {
  readonly right: string;
  readonly holders: readonly Holder[];
  /** The resource's account names resolved on the host (null: no such account). */
  readonly sids: Readonly<Record<string, string | null>>;
}

const SCRIPT = 'user_right/lsa';

/** The SID of a desired account: known without the host, or as the host resolved it. */
const sidOf = (account: string, c: UserRightCurrent): string | null => knownSid(account) ?? c.sids[account] ?? null;

interface Plan {
  /** Accounts to grant (their names: an account created in the same apply is resolved then). */
  readonly add: string[];
  /** Holders to remove. */
  readonly remove: Holder[];
}

export function rightPlan(d: UserRightDesired, c: UserRightCurrent): Plan {
  const action = d.action ?? 'add';
  const held = new Set(c.holders.map((h) => h.sid.toUpperCase()));
  const wanted = d.accounts.map((a) => ({ account: a, sid: sidOf(a, c)?.toUpperCase() ?? null }));
  if (action === 'remove') {
    const sids = new Set(wanted.map((w) => w.sid).filter((s): s is string => s !== null));
    return { add: [], remove: c.holders.filter((h) => sids.has(h.sid.toUpperCase())) };
  }
  // An account the host does not know yet (created earlier in the same apply) is granted by name.
  const add = wanted.filter((w) => w.sid === null || !held.has(w.sid)).map((w) => w.account);
  const keep = new Set(wanted.map((w) => w.sid).filter((s): s is string => s !== null));
  return { add, remove: action === 'set' ? c.holders.filter((h) => !keep.has(h.sid.toUpperCase())) : [] };
}

export const userRightModule: Module<UserRightDesired, UserRightCurrent> = {
  kind: 'user_right',
  summary: 'A Windows user right or privilege (e.g. SeServiceLogonRight) granted to or removed from accounts, compared by SID.',
  platforms: ['windows'],
  schema: {
    type: 'object',
    required: ['name', 'accounts'],
    properties: {
      name: { type: 'string', pattern: '^Se[A-Za-z]+(Right|Privilege)$', description: 'The right or privilege, e.g. SeServiceLogonRight ("Log on as a service"), SeBatchLogonRight, SeDenyServiceLogonRight, SeDenyInteractiveLogonRight, SeImpersonatePrivilege.' },
      accounts: {
        type: 'array',
        uniqueItems: true,
        items: { type: 'string', minLength: 1, maxLength: 256, pattern: '^[^\\x00-\\x1f]*$' },
        description: 'Accounts by name (DOMAIN\\user, .\\user, NT SERVICE\\name, gmsa$, BUILTIN\\Users) or SID (S-1-5-...); compared by SID.',
      },
      action: { type: 'string', enum: ['add', 'remove', 'set'], default: 'add', description: 'add (default): the accounts hold the right, others are left alone; remove: they do not hold it; set: exactly these accounts hold it.' },
    },
  },
  sensitiveAttributes: [],
  name: (d) => d.name,
  edges: () => [],
  check(d) {
    if ((d.action ?? 'add') !== 'set' && d.accounts.length === 0) return [{ attribute: 'accounts', message: `${d.action ?? 'add'} with no accounts does nothing`, hint: 'list accounts, or use action: set to leave nobody holding the right' }];
    return [];
  },
  probe: (d) => windowsCommand(SCRIPT, { op: 'read', right: d.name, accounts: d.accounts.filter((a) => knownSid(a) === null) }, `read user right ${d.name}`),
  parse(result: CommandResult): UserRightCurrent {
    if (result.code !== 0) throw new Error(`reading the user right failed: ${result.stderr.toString('utf8').trim()}`);
    const data = JSON.parse(result.stdout.toString('utf8')) as Partial<UserRightCurrent>;
    return { right: data.right ?? '', holders: data.holders ?? [], sids: data.sids ?? {} };
  },
  diff(d, c): DiffResult {
    const p = rightPlan(d, c);
    if (p.add.length === 0 && p.remove.length === 0) return unchanged(`${d.name}: ${d.action === 'remove' ? 'none of the accounts holds it' : d.action === 'set' ? 'held by exactly these accounts' : 'held by every account listed'}`);
    const before = c.holders.map((h) => h.name);
    const removed = new Set(p.remove.map((h) => h.sid));
    const after = [...c.holders.filter((h) => !removed.has(h.sid)).map((h) => h.name), ...p.add];
    return { status: 'change', action: 'update', changes: [{ attribute: 'accounts', before, after }] };
  },
  apply(d, c) {
    const p = rightPlan(d, c);
    const what = [...p.add.map((a) => `grant ${a}`), ...p.remove.map((h) => `remove ${h.name}`)].join(', ');
    // SIDs known here go as SIDs: a virtual account's name resolves only once its service exists.
    const add = p.add.map((a) => knownSid(a) ?? a);
    return [windowsCommand(SCRIPT, { op: 'apply', right: d.name, add, remove: p.remove.map((h) => h.sid), accounts: [] }, `${d.name}: ${what}`)];
  },
};
