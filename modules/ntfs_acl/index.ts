/**
 * `ntfs_acl`: the owner, inheritance protection and explicit entries of a file or folder's DACL
 * on Windows. Reading and writing go through the scripts shared with registry_acl
 * (windows_acl/read.ps1, windows_acl/apply.ps1).
 */
import { psCommand } from '../../src/core/powershell-script.ts';
import type { Module, PowerShellCommand } from '../../src/core/types.ts';
import { aclApplyInput, aclDiff } from '../windows_acl/diff.ts';
import { type AclDesiredCommon, aclProperties, checkAcl } from '../windows_acl/model.ts';
import { type AclState, identitiesOf, parseAclState } from '../windows_acl/parse.ts';

export interface NtfsAclDesired extends AclDesiredCommon {
  readonly path: string;
}

export const schema = {
  type: 'object',
  required: ['path'],
  properties: {
    path: {
      type: 'string',
      // A drive path ("C:\ProgramData\App") or a UNC path ("\\server\share\dir").
      pattern: '^([A-Za-z]:\\\\|\\\\\\\\[^\\\\\\x00-\\x1f]+\\\\[^\\\\\\x00-\\x1f]+)([^\\x00-\\x1f]*)$',
      maxLength: 32767,
      description: 'An absolute Windows path of an existing file or folder: "C:\\ProgramData\\App" or "\\\\server\\share\\dir" (in YAML, single quotes keep "\\" as it is). Used literally (no wildcards). It must exist when applied; an ntfs_acl does not create it.',
    },
    ...aclProperties('file'),
  },
} as const;

const subject = (d: NtfsAclDesired): string => d.path;

function probe(d: NtfsAclDesired): PowerShellCommand {
  return psCommand('windows_acl/read', { target: 'file', path: d.path, identities: identitiesOf(d) }, `read acl of ${d.path}`);
}

export const ntfsAclModule: Module<NtfsAclDesired, AclState> = {
  kind: 'ntfs_acl',
  summary: 'The NTFS ACL of an existing Windows file or folder: owner, inheritance protection, explicit allow/deny entries, optional purge of unlisted ones.',
  platforms: ['windows'],
  schema,
  sensitiveAttributes: [],
  name: (d) => d.path,
  check: (d) => checkAcl(d),
  // No Windows file or folder resource exists yet to depend on.
  edges: () => [],
  probe,
  parse: (result, d) => parseAclState(result, d, { target: 'file', what: `the ACL of ${d.path}` }),
  diff: (d, c) => aclDiff('file', d, c, subject(d)),
  apply: (d, c) => [psCommand('windows_acl/apply', { target: 'file', path: d.path, ...aclApplyInput('file', d, c) }, `set acl of ${d.path}`)],
};
