/**
 * Mistakes that only show when two resources of one host are seen together. Each would make
 * every apply undo the other's change, so a plan would never come out empty.
 */
import { normalisePerms, type AclDesired, type AclEntry } from '../../modules/acl/schema.ts';
import { normaliseMode } from '../core/diff.ts';
import type { SourceLocation } from './diagnostics.ts';
import type { ResourceInstance } from './resource.ts';
import type { Os } from '../core/types.ts';

export interface CrossProblem {
  readonly location: SourceLocation;
  readonly message: string;
  readonly hint: string;
}

/** rwx of one octal digit of a mode: 0 owner class, 1 group class, 2 other. */
function modeClass(mode: string, cls: 0 | 1 | 2): string {
  const digits = normaliseMode(mode).slice(-3);
  return normalisePerms(digits[cls] as string);
}

/**
 * With named ACL entries, the group bits of the mode ARE the ACL mask: a file/directory `mode`
 * on the same path (chmod) and the acl (setfacl recomputes the mask) would fight forever,
 * unless the acl lists the mask and any owner/other entries exactly as the mode has them.
 */
function aclVersusMode(acl: ResourceInstance, other: ResourceInstance): CrossProblem | null {
  const d = acl.desired as unknown as AclDesired;
  const mode = (other.desired as { mode?: string }).mode;
  if (d.ensure === 'absent' || mode === undefined) return null;
  const entries: readonly AclEntry[] = d.entries ?? [];
  const named = entries.some((e) => (e.type === 'user' || e.type === 'group') && e.name !== undefined);
  const find = (type: AclEntry['type']): AclEntry | undefined => entries.find((e) => e.type === type && e.name === undefined);
  const disagreements: string[] = [];
  const mask = find('mask');
  if (named && (!mask || normalisePerms(mask.perms) !== modeClass(mode, 1))) disagreements.push(`the mask (${mask ? normalisePerms(mask.perms) : 'computed by setfacl'}) vs the mode's group bits (${modeClass(mode, 1)})`);
  const owner = find('user');
  if (owner && normalisePerms(owner.perms) !== modeClass(mode, 0)) disagreements.push(`the owner entry (${normalisePerms(owner.perms)}) vs the mode's owner bits (${modeClass(mode, 0)})`);
  const rest = find('other');
  if (rest && normalisePerms(rest.perms) !== modeClass(mode, 2)) disagreements.push(`the other entry (${normalisePerms(rest.perms)}) vs the mode's other bits (${modeClass(mode, 2)})`);
  if (!named) {
    const group = find('group');
    if (group && normalisePerms(group.perms) !== modeClass(mode, 1)) disagreements.push(`the owning group entry (${normalisePerms(group.perms)}) vs the mode's group bits (${modeClass(mode, 1)})`);
  }
  if (disagreements.length === 0) return null;
  return {
    location: acl.location,
    message: `${acl.address} and ${other.address} both set the permission bits of ${d.path}: ${disagreements.join('; ')}; each apply would undo the other`,
    hint: `drop mode from ${other.address} and let the acl own the bits, or list a mask (and owner/other entries) in the acl that match mode ${normaliseMode(mode)}`,
  };
}

/** A Linux resource on a Windows host (or the reverse) could only fail at plan time: say so now. */
export function platformProblems(resources: readonly ResourceInstance[], os: Os, hostName: string): CrossProblem[] {
  const problems: CrossProblem[] = [];
  for (const r of resources) {
    const platform = r.module.platformOf?.(r.desired) ?? (r.module.platforms.includes(os) ? os : r.module.platforms[0]);
    if (platform === undefined || platform === os) continue;
    problems.push({
      location: r.location,
      message: `${r.address} is a ${platform === 'windows' ? 'Windows' : 'Linux'} resource, but ${hostName} is a ${os === 'windows' ? 'Windows' : 'Linux'} host`,
      hint: os === 'windows'
        ? 'limit the play to Linux hosts (hosts: a group of them), or use the Windows kind or method'
        : 'a host is Windows when its connection has transport: winrm or shell: powershell; otherwise limit the play to Windows hosts',
    });
  }
  return problems;
}

export function crossResourceProblems(resources: readonly ResourceInstance[]): CrossProblem[] {
  const byPath = new Map<string, ResourceInstance[]>();
  for (const r of resources) {
    if (r.module.kind !== 'file' && r.module.kind !== 'directory') continue;
    const path = (r.desired as { path?: string }).path;
    if (path !== undefined) byPath.set(path, [...(byPath.get(path) ?? []), r]);
  }
  const problems: CrossProblem[] = [];
  for (const r of resources) {
    if (r.module.kind !== 'acl') continue;
    for (const other of byPath.get((r.desired as unknown as AclDesired).path) ?? []) {
      const p = aclVersusMode(r, other);
      if (p) problems.push(p);
    }
  }
  return problems;
}
