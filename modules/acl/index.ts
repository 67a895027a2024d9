/**
 * `acl`: the POSIX ACL of a path on Linux (access and default ACL), read with getfacl and set
 * with setfacl; merge (listed entries ensured) or exact (listed named entries are the whole
 * extended ACL) semantics, an explicit or recalculated mask, optionally recursive.
 */
import type { AutoEdge, Module } from '../../src/core/types.ts';
import { apply } from './apply.ts';
import { diff, isNamed } from './diff.ts';
import { type AclCurrent, parse, probe } from './parse.ts';
import { type AclDesired, check, NUMERIC, schema } from './schema.ts';

export type { AclCurrent, AclEntryState } from './parse.ts';
export type { AclDesired, AclEntry } from './schema.ts';

export const aclModule: Module<AclDesired, AclCurrent> = {
  kind: 'acl',
  summary: 'The POSIX ACL of an existing file or directory: named user/group entries, the mask and the default (inherited) ACL; merge or exact.',
  platforms: ['linux'],
  schema,
  sensitiveAttributes: [],
  name: (d) => d.path,
  edges(d): AutoEdge[] {
    // Whichever of the two the playbook has creates the path.
    const edges: AutoEdge[] = [{ kind: 'file', name: d.path }, { kind: 'directory', name: d.path }];
    const seen = new Set<string>();
    for (const e of [...(d.entries ?? []), ...(d.default_entries ?? [])]) {
      if (!isNamed(e) || e.name === undefined || NUMERIC.test(e.name)) continue;
      const key = `${e.type}:${e.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      edges.push({ kind: e.type, name: e.name });
    }
    return edges;
  },
  check,
  probe,
  parse: (result, desired) => parse(result, desired),
  diff,
  apply,
};
