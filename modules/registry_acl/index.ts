/**
 * `registry_acl`: the owner, inheritance protection and explicit entries of a registry key's
 * DACL, with the same entry model as ntfs_acl and RegistryRights.
 */
import { psCommand } from '../../src/core/powershell-script.ts';
import type { AutoEdge, Module, PowerShellCommand } from '../../src/core/types.ts';
import { hiveSchema, type KeyLocation, keyInput, keyName, keyPathSchema, viewSchema } from '../registry_key/location.ts';
import { aclApplyInput, aclDiff } from '../windows_acl/diff.ts';
import { type AclDesiredCommon, aclProperties, checkAcl } from '../windows_acl/model.ts';
import { type AclState, identitiesOf, parseAclState } from '../windows_acl/parse.ts';

export interface RegistryAclDesired extends AclDesiredCommon, KeyLocation {}

export const schema = {
  type: 'object',
  required: ['hive', 'path'],
  properties: {
    hive: hiveSchema,
    path: { ...keyPathSchema, description: `${keyPathSchema.description} The key must exist when applied: its registry_key resource is an automatic dependency.` },
    view: viewSchema,
    ...aclProperties('registry'),
  },
} as const;

function probe(d: RegistryAclDesired): PowerShellCommand {
  return psCommand('windows_acl/read', { target: 'registry', ...keyInput(d), identities: identitiesOf(d) }, `read acl of registry key ${keyName(d)}`);
}

export const registryAclModule: Module<RegistryAclDesired, AclState> = {
  kind: 'registry_acl',
  summary: 'The ACL of an existing Windows registry key: owner, inheritance protection, explicit allow/deny entries, optional purge of unlisted ones.',
  platforms: ['windows'],
  schema,
  sensitiveAttributes: [],
  name: keyName,
  check: (d) => checkAcl(d),
  edges: (d): AutoEdge[] => [{ kind: 'registry_key', name: keyName(d) }],
  probe,
  parse: (result, d) => parseAclState(result, d, { target: 'registry', what: `the ACL of registry key ${keyName(d)}` }),
  diff: (d, c) => aclDiff('registry', d, c, `registry key ${keyName(d)}`),
  apply: (d, c) => [psCommand('windows_acl/apply', { target: 'registry', ...keyInput(d), ...aclApplyInput('registry', d, c) }, `set acl of registry key ${keyName(d)}`)],
};
