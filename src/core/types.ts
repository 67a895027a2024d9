/**
 * The contracts every part of provision is written against: commands as data, probe results,
 * attribute-level changes and the module interface. Nothing here touches a host.
 */

import type { ServiceHealth } from './health.ts';

export type Os = 'linux' | 'windows';

/** JSON-compatible data: the only shape current state, plans and reports are made of. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * A command as data. argv is run without a shell on the host (the engine quotes each element
 * with the one audited quoting function); stdin travels as data, never on a command line.
 */
export interface Command {
  readonly argv: readonly string[];
  readonly stdin?: string | Buffer;
  /** Short human label, e.g. "write /etc/app.conf"; never contains secrets. */
  readonly label: string;
}

/**
 * A PowerShell script as data, for Windows hosts. `script` is static text from a module's .ps1
 * file (never built from values); every value travels in `input`, which the script receives as
 * `$in` after a JSON round trip. The engine batches many of them into one script per host.
 */
export interface PowerShellCommand {
  readonly powershell: PowerShellScript;
  readonly input: JsonValue;
  /** Short human label, e.g. "configure service app"; never contains secrets. */
  readonly label: string;
}

/** A named PowerShell script body (the body of `param($in)`); see src/core/powershell-script.ts. */
export interface PowerShellScript {
  /** Stable name, e.g. "registry_value/read": fixtures and batches refer to scripts by it. */
  readonly name: string;
  readonly text: string;
}

/** What a module asks a host to run: a POSIX command (Linux) or a PowerShell script (Windows). */
export type HostCommand = Command | PowerShellCommand;

export function isPowerShell(c: HostCommand): c is PowerShellCommand {
  return 'powershell' in c;
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
}

/** What the engine learned about a host in the same round trip as the probes. */
export interface HostFacts {
  readonly os: Os;
  readonly uid: number;
  /** systemd's major version, or null when systemd is not PID 1. */
  readonly systemdVersion: number | null;
  /** Windows hosts only. */
  readonly windows?: WindowsFacts;
}

export interface WindowsFacts {
  readonly psVersion: string;
  /** e.g. "10.0.20348" */
  readonly osVersion: string;
  readonly computerName: string;
  readonly isAdmin: boolean;
}

export interface AttributeChange {
  /** Dotted path of the attribute, e.g. "mode" or "environment.API_KEY". */
  readonly attribute: string;
  /** undefined means "absent" (nothing there before / nothing there after). */
  readonly before: JsonValue | undefined;
  readonly after: JsonValue | undefined;
}

export type Action = 'create' | 'update' | 'delete';

export type DiffResult =
  | { readonly status: 'ok'; readonly reason: string }
  | { readonly status: 'change'; readonly action: Action; readonly changes: readonly AttributeChange[] };

/** A reference to another resource by kind and identity, e.g. { kind: 'user', name: 'app' }. */
export interface ResourceRef {
  readonly kind: string;
  readonly name: string;
}

/** An edge a module declares. `notify` edges also refresh the dependent when the target changes. */
export interface AutoEdge extends ResourceRef {
  readonly notify?: boolean;
  /** When the playbook lacks the target, validate warns with this (the resource likely needs it). */
  readonly ifMissing?: { readonly message: string; readonly hint?: string };
}

/** A JSON Schema fragment (draft 2020-12 subset accepted by Ajv). */
export type JsonSchema = { readonly [key: string]: unknown };

/**
 * One resource kind. `probe`/`parse` read current state; `diff` is pure; `apply` turns the
 * decided changes into commands. A module never talks to a host itself.
 */
export interface Module<D, C> {
  readonly kind: string;
  readonly summary: string;
  readonly platforms: readonly Os[];
  /** JSON Schema of the resource's own attributes (kind/id/requires are added by the engine). */
  readonly schema: JsonSchema;
  /** Attributes whose values are secrets; the engine redacts them everywhere. */
  readonly sensitiveAttributes: readonly string[];
  /**
   * Attributes whose values end up on a command line on the host (health checks): validate
   * refuses a secret there, since anyone on the host could read it from the process list.
   */
  readonly publicAttributes?: readonly string[];
  /** The identity of the resource within its kind: a user name, a path, a unit name. */
  name(desired: D): string;
  /** Resources this one needs when the playbook has them: a service needs its account and files. */
  edges(desired: D): readonly AutoEdge[];
  /** Semantic checks beyond the schema; messages are user mistakes (errors unless severity says warning). */
  check?(desired: D): readonly { attribute: string; message: string; hint?: string; severity?: 'error' | 'warning' }[];
  probe(desired: D): HostCommand;
  parse(result: CommandResult, desired: D, facts: HostFacts): C;
  /**
   * The part of the current state a saved plan must still match when applied. Leave out values
   * that change on their own (a main PID); default: the whole state.
   */
  stableState?(current: C): unknown;
  diff(desired: D, current: C): DiffResult;
  apply(desired: D, current: C, diff: DiffResult & { status: 'change' }): readonly HostCommand[];
  /**
   * The desired state that removes what `desired` manages, holding only what removal needs and
   * never a sensitive attribute. Kept in the host's ledger so the resource can be pruned once it
   * leaves the playbook. Modules without it cannot be pruned (the plan says so).
   */
  removal?(desired: D): D;
  /** Health checks and restart verification the engine runs after apply (services); null when there are none. */
  health?(desired: D): ServiceHealth | null;
  /** Commands run when a resource this one watches (notify edge) changes, given its own planned diff. */
  refresh?(desired: D, current: C, ownDiff: DiffResult): { reason: string; commands: readonly HostCommand[] } | null;
  /**
   * The platform a resource runs on when it depends on its attributes (a service's autostart
   * method); default: the module's only platform, or any of `platforms`.
   */
  platformOf?(desired: D): Os;
}
