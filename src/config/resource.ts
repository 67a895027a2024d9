/** A resource as the engine sees it: one rendered entry of a playbook, for one host. */
import type { AnyModule } from '../../modules/registry.ts';
import type { SourceLocation } from './diagnostics.ts';

export interface ResourceInstance {
  /** The address: explicit id or <kind>:<name>. */
  readonly address: string;
  readonly module: AnyModule;
  readonly name: string;
  /** The module's attributes, rendered for this host (kind, id, requires removed). */
  readonly desired: Readonly<Record<string, unknown>>;
  readonly requires: readonly string[];
  /** Dotted attribute paths whose values are secrets (e.g. "content", "environment.TOKEN"). */
  readonly sensitivePaths: ReadonlySet<string>;
  readonly location: SourceLocation;
  /** Digest of the desired state (sensitive values excluded) for the stale-plan check. */
  readonly desiredDigest: string;
}

/** An attribute is sensitive when it, or an attribute it is part of, was marked. */
export function isSensitive(paths: ReadonlySet<string>, attribute: string): boolean {
  for (const p of paths) if (attribute === p || attribute.startsWith(`${p}.`) || p.startsWith(`${attribute}.`)) return true;
  return false;
}
