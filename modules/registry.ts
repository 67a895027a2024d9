/**
 * The one list of resource kinds. Adding a module means adding it here; the playbook schema,
 * the docs and the fixture tests are all derived from this list.
 */
import type { Module } from '../src/core/types.ts';
import { aclModule } from './acl/index.ts';
import { directoryModule } from './directory/index.ts';
import { fileModule } from './file/index.ts';
import { groupModule } from './group/index.ts';
import { ntfsAclModule } from './ntfs_acl/index.ts';
import { packageModule } from './package/index.ts';
import { registryAclModule } from './registry_acl/index.ts';
import { registryKeyModule } from './registry_key/index.ts';
import { registryValueModule } from './registry_value/index.ts';
import { serviceModule } from './service/index.ts';
import { systemdServiceModule } from './systemd_service/index.ts';
import { userModule } from './user/index.ts';
import { userRightModule } from './user_right/index.ts';

/** A module with its state types erased: the engine only passes values a module produced or the schema checked. */
export type AnyModule = Module<unknown, unknown>;

function erase<D, C>(m: Module<D, C>): AnyModule {
  return m as unknown as AnyModule;
}

export const modules: readonly AnyModule[] = [
  erase(groupModule),
  erase(userModule),
  erase(directoryModule),
  erase(fileModule),
  erase(aclModule),
  erase(systemdServiceModule),
  erase(packageModule),
  erase(serviceModule),
  erase(ntfsAclModule),
  erase(registryKeyModule),
  erase(registryValueModule),
  erase(registryAclModule),
  erase(userRightModule),
];

const byKind = new Map(modules.map((m) => [m.kind, m]));

export function moduleFor(kind: string): AnyModule | undefined {
  return byKind.get(kind);
}
