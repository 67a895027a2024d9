/**
 * The read of a service on Windows: one script (read.ps1) returns the SCM registration (with
 * NSSM's Parameters when NSSM runs it) and the scheduled task of the name, so a change of method
 * among the Windows methods removes the old registration. It also resolves the account names the
 * resource uses to SIDs on the host, so accounts are compared by SID.
 */
import { windowsCommand } from './script.ts';
import type { CommandResult, PowerShellCommand } from '../../../src/core/types.ts';
import type { ServiceDesired } from '../schema.ts';
import { serviceRecord, taskRecord } from './fingerprint.ts';
import { taskPath } from './schema.ts';
import { knownSid } from './sid.ts';

export interface NssmState {
  readonly application: string;
  readonly parameters: string;
  readonly directory: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly rotate_files: number | null;
  readonly rotate_online: number | null;
  readonly rotate_seconds: number | null;
  readonly rotate_bytes: number | null;
  readonly throttle: number | null;
  readonly restart_delay: number | null;
  readonly environment: readonly string[];
  readonly exit: Readonly<Record<string, string>>;
}

export interface ScmState {
  readonly display_name: string;
  readonly description: string;
  readonly image_path: string;
  /** 2 auto, 3 demand, 4 disabled (0/1 are drivers). */
  readonly start: number;
  readonly delayed: number;
  readonly account: string;
  readonly account_sid: string | null;
  readonly dependencies: readonly string[];
  readonly required_privileges: readonly string[];
  readonly sid_type: number;
  /** base64 of the FailureActions REG_BINARY, or null. */
  readonly failure_actions: string | null;
  readonly failure_on_non_crash: number;
  /** Get-Service's Status: Running, Stopped, StartPending, ... */
  readonly status: string;
  readonly nssm: NssmState | null;
}

export interface TaskState {
  readonly path: string;
  readonly description: string;
  /** Ready, Running, Disabled, Queued. */
  readonly state: string;
  readonly enabled: boolean;
  readonly actions: readonly { execute: string; arguments: string; working_directory: string }[];
  /** type: the CIM class, e.g. MSFT_TaskBootTrigger, MSFT_TaskLogonTrigger. */
  readonly triggers: readonly { type: string; delay: string; user: string; enabled: boolean }[];
  readonly user: string;
  readonly group: string;
  readonly principal_sid: string | null;
  readonly logon_type: string;
  readonly run_level: string;
  readonly restart_count: number;
  readonly restart_interval: string;
  readonly execution_time_limit: string;
}

export interface WindowsServiceCurrent {
  readonly platform: 'windows';
  readonly scm: ScmState | null;
  readonly task: TaskState | null;
  /** Account names of the resource, resolved on the host (null: no such account there). */
  readonly sids: Readonly<Record<string, string | null>>;
  /** Password fingerprints provision keeps (password-record.ps1), by record name; null: none. */
  readonly passwords: Readonly<Record<string, string | null>>;
}

export const isWindowsCurrent = (c: unknown): c is WindowsServiceCurrent => typeof c === 'object' && c !== null && (c as { platform?: unknown }).platform === 'windows';

export { DEFAULT_TASK_PATH, taskPath } from './schema.ts';

/** Account names the diff compares, which the host must resolve (names it cannot know itself). */
export function accountsToResolve(d: ServiceDesired): string[] {
  const w = d.windows ?? {};
  return [w.account, w.task?.group, w.task?.trigger?.user].filter((a): a is string => a !== undefined && knownSid(a) === null);
}

export function windowsProbe(d: ServiceDesired): PowerShellCommand {
  const records = [serviceRecord(d), taskRecord(d)];
  return windowsCommand('service/windows/read', { name: d.name, task_path: taskPath(d), accounts: accountsToResolve(d), records }, `read service ${d.name}`);
}

export function parseWindows(result: CommandResult): WindowsServiceCurrent {
  if (result.code !== 0) throw new Error(`reading the service failed: ${result.stderr.toString('utf8').trim()}`);
  const data = JSON.parse(result.stdout.toString('utf8')) as { scm?: ScmState | null; task?: TaskState | null; sids?: Record<string, string | null> | null; passwords?: Record<string, string | null> | null };
  const scm = data.scm ?? null;
  return {
    platform: 'windows',
    // PowerShell writes a one-element array as an array, an empty one as []; nulls stay null.
    scm: scm && { ...scm, dependencies: scm.dependencies ?? [], required_privileges: scm.required_privileges ?? [], nssm: scm.nssm && { ...scm.nssm, environment: scm.nssm.environment ?? [], exit: scm.nssm.exit ?? {} } },
    task: data.task ?? null,
    sids: data.sids ?? {},
    passwords: data.passwords ?? {},
  };
}
