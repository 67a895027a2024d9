/** `user`: a Linux account, read with getent/id and managed with useradd/usermod/userdel. */
import { changedAttributes, createdAttributes, unchanged, updateOrOk } from '../../src/core/diff.ts';
import { absolutePath, accountName, ensure, ownerRef } from '../../src/core/schema-fragments.ts';
import type { AttributeChange, AutoEdge, CommandResult, DiffResult, JsonValue, Module } from '../../src/core/types.ts';

export interface UserDesired {
  readonly name: string;
  readonly ensure?: 'present' | 'absent';
  readonly system?: boolean;
  readonly uid?: number;
  /** Primary group, by name or gid. */
  readonly group?: string;
  /** Supplementary groups: the exact set. */
  readonly groups?: readonly string[];
  readonly home?: string;
  readonly create_home?: boolean;
  readonly shell?: string;
  readonly comment?: string;
}

export type UserCurrent =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly uid: number;
      readonly gid: number;
      readonly group: string;
      readonly groups: readonly string[];
      readonly home: string;
      readonly shell: string;
      readonly comment: string;
    };

export const NOLOGIN = '/usr/sbin/nologin';

// Line 1: the passwd entry; line 2: primary group name; line 3: every group name.
const PROBE = 'p=$(getent passwd -- "$1") || exit 0; printf "%s\\n" "$p"; id -gn -- "$1"; id -Gn -- "$1"';

/** The shell the engine manages: explicit, or nologin for system users. */
function wantedShell(d: UserDesired): string | undefined {
  return d.shell ?? (d.system ? NOLOGIN : undefined);
}

function managed(d: UserDesired, c: UserCurrent & { exists: true }): { wanted: Record<string, JsonValue | undefined>; have: Record<string, JsonValue> } {
  const numericGroup = d.group !== undefined && /^[0-9]+$/.test(d.group);
  return {
    wanted: {
      uid: d.uid,
      group: d.group === undefined ? undefined : numericGroup ? Number(d.group) : d.group,
      groups: d.groups === undefined ? undefined : [...new Set(d.groups)].sort(),
      home: d.home,
      shell: wantedShell(d),
      comment: d.comment,
    },
    have: {
      uid: c.uid,
      group: numericGroup ? c.gid : c.group,
      groups: [...c.groups].sort(),
      home: c.home,
      shell: c.shell,
      comment: c.comment,
    },
  };
}

export const userModule: Module<UserDesired, UserCurrent> = {
  kind: 'user',
  summary: 'A Linux user account; system users get no login shell unless one is given.',
  platforms: ['linux'],
  schema: {
    type: 'object',
    required: ['name'],
    properties: {
      name: accountName,
      ensure,
      system: { type: 'boolean', default: false, description: 'A system account (uid from the system range, nologin shell by default). Only used at creation.' },
      uid: { type: 'integer', minimum: 0, maximum: 4294967294 },
      group: { ...ownerRef, description: 'Primary group by name or gid; the group resource of that name is an automatic dependency.' },
      groups: { type: 'array', items: accountName, uniqueItems: true, description: 'Supplementary groups: the exact set (others are removed).' },
      home: absolutePath,
      create_home: { type: 'boolean', description: 'Create the home directory at creation (default: true for regular users, false for system users).' },
      shell: { ...absolutePath, description: `Login shell; system users default to ${NOLOGIN}.` },
      comment: { type: 'string', pattern: '^[^:\\n]*$', description: 'GECOS comment (no ":" or newline).' },
    },
  },
  sensitiveAttributes: [],
  name: (d) => d.name,
  removal: (d) => ({ name: d.name, ensure: 'absent' }),
  edges(d): AutoEdge[] {
    const edges: AutoEdge[] = [];
    if (d.group !== undefined && !/^[0-9]+$/.test(d.group)) edges.push({ kind: 'group', name: d.group });
    for (const g of d.groups ?? []) edges.push({ kind: 'group', name: g });
    return edges;
  },
  probe: (d) => ({ argv: ['sh', '-c', PROBE, 'sh', d.name], label: `read user ${d.name}` }),

  parse(result: CommandResult): UserCurrent {
    const [entry = '', primary = '', all = ''] = result.stdout.toString('utf8').split('\n');
    if (entry === '') return { exists: false };
    const [, , uid, gid, comment = '', home = '', shell = ''] = entry.split(':');
    const groups = all.split(' ').filter((g) => g !== '' && g !== primary);
    return { exists: true, uid: Number(uid), gid: Number(gid), group: primary, groups, home, shell, comment };
  },

  diff(d, c): DiffResult {
    if (d.ensure === 'absent') {
      return c.exists
        ? { status: 'change', action: 'delete', changes: [{ attribute: 'uid', before: c.uid, after: undefined }] }
        : unchanged(`user ${d.name} is absent`);
    }
    if (!c.exists) {
      const changes: AttributeChange[] = createdAttributes({
        name: d.name,
        system: d.system ?? false,
        uid: d.uid,
        group: d.group,
        groups: d.groups === undefined ? undefined : [...d.groups],
        home: d.home,
        create_home: d.create_home ?? !d.system,
        shell: wantedShell(d),
        comment: d.comment,
      });
      return { status: 'change', action: 'create', changes };
    }
    const { wanted, have } = managed(d, c);
    return updateOrOk(changedAttributes(wanted, have), `user ${d.name} exists as desired`);
  },

  apply(d, _c, diff) {
    if (diff.action === 'delete') return [{ argv: ['userdel', '--', d.name], label: `delete user ${d.name}` }];
    const shell = wantedShell(d);
    const common = [
      ...(d.uid === undefined ? [] : ['--uid', String(d.uid)]),
      ...(d.group === undefined ? [] : ['--gid', d.group]),
      ...(d.groups === undefined ? [] : ['--groups', d.groups.join(',')]),
      ...(d.shell === undefined && shell === undefined ? [] : ['--shell', shell ?? '']),
      ...(d.comment === undefined ? [] : ['--comment', d.comment]),
    ];
    if (diff.action === 'create') {
      const createHome = d.create_home ?? !d.system;
      return [{
        argv: [
          'useradd',
          ...(d.system ? ['--system'] : []),
          ...common,
          ...(d.group === undefined ? ['--user-group'] : []),
          ...(d.home === undefined ? [] : ['--home-dir', d.home]),
          createHome ? '--create-home' : '--no-create-home',
          '--',
          d.name,
        ],
        label: `create user ${d.name}`,
      }];
    }
    const attrs = new Set(diff.changes.map((ch) => ch.attribute));
    const argv = ['usermod'];
    if (attrs.has('uid')) argv.push('--uid', String(d.uid));
    if (attrs.has('group')) argv.push('--gid', d.group ?? '');
    if (attrs.has('groups')) argv.push('--groups', (d.groups ?? []).join(','));
    if (attrs.has('home')) argv.push('--home', d.home ?? '', ...(d.create_home ? ['--move-home'] : []));
    if (attrs.has('shell')) argv.push('--shell', shell ?? '');
    if (attrs.has('comment')) argv.push('--comment', d.comment ?? '');
    return [{ argv: [...argv, '--', d.name], label: `modify user ${d.name}` }];
  },
};
