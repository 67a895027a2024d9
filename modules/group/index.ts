/** `group`: a Linux group, read with getent and managed with groupadd/groupmod/groupdel. */
import { changedAttributes, createdAttributes, unchanged, updateOrOk } from '../../src/core/diff.ts';
import { accountName, ensure } from '../../src/core/schema-fragments.ts';
import type { CommandResult, DiffResult, Module } from '../../src/core/types.ts';

export interface GroupDesired {
  readonly name: string;
  readonly ensure?: 'present' | 'absent';
  readonly gid?: number;
  readonly system?: boolean;
}

export type GroupCurrent = { readonly exists: false } | { readonly exists: true; readonly gid: number; readonly members: readonly string[] };

const PROBE = 'getent group -- "$1" || exit 0';

export const groupModule: Module<GroupDesired, GroupCurrent> = {
  kind: 'group',
  summary: 'A Linux group (system or regular).',
  platforms: ['linux'],
  schema: {
    type: 'object',
    required: ['name'],
    properties: {
      name: accountName,
      ensure,
      gid: { type: 'integer', minimum: 0, maximum: 4294967294, description: 'Numeric group id; unmanaged when omitted.' },
      system: { type: 'boolean', default: false, description: 'Create as a system group (gid from the system range). Only used at creation.' },
    },
  },
  sensitiveAttributes: [],
  name: (d) => d.name,
  removal: (d) => ({ name: d.name, ensure: 'absent' }),
  edges: () => [],
  probe: (d) => ({ argv: ['sh', '-c', PROBE, 'sh', d.name], label: `read group ${d.name}` }),

  parse(result: CommandResult): GroupCurrent {
    const line = result.stdout.toString('utf8').split('\n')[0] ?? '';
    if (line === '') return { exists: false };
    const [, , gid, members] = line.split(':');
    return { exists: true, gid: Number(gid), members: members ? members.split(',').filter(Boolean) : [] };
  },

  diff(d, c): DiffResult {
    if (d.ensure === 'absent') {
      return c.exists
        ? { status: 'change', action: 'delete', changes: [{ attribute: 'gid', before: c.gid, after: undefined }] }
        : unchanged(`group ${d.name} is absent`);
    }
    const wanted = { gid: d.gid };
    if (!c.exists) return { status: 'change', action: 'create', changes: createdAttributes({ name: d.name, ...wanted, system: d.system ?? false }) };
    return updateOrOk(changedAttributes(wanted, { gid: c.gid }), `group ${d.name} exists as desired`);
  },

  apply(d, _c, diff) {
    if (diff.action === 'delete') return [{ argv: ['groupdel', '--', d.name], label: `delete group ${d.name}` }];
    const gid = d.gid === undefined ? [] : ['--gid', String(d.gid)];
    if (diff.action === 'create') {
      return [{ argv: ['groupadd', ...(d.system ? ['--system'] : []), ...gid, '--', d.name], label: `create group ${d.name}` }];
    }
    return [{ argv: ['groupmod', ...gid, '--', d.name], label: `modify group ${d.name}` }];
  },
};
