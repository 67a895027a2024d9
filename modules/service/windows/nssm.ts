/**
 * Method `nssm`: NSSM runs the program as a service and restarts it itself. nssm.exe installs
 * the service; its parameters (Application, AppParameters, AppDirectory, AppStdout/AppStderr and
 * rotation, AppEnvironmentExtra, AppExit, AppRestartDelay, AppThrottle) are the values NSSM reads
 * from HKLM\SYSTEM\CurrentControlSet\Services\<name>\Parameters, written there typed, which is
 * what `nssm set` does, without passing values through nssm.exe's command line. The SCM-level
 * settings (display name, start mode, account, ...) go through the SCM like windows-service.
 */
import { windowsCommand } from './script.ts';
import type { AttributeChange, JsonValue, PowerShellCommand } from '../../../src/core/types.ts';
import { settings, type ServiceDesired } from '../schema.ts';
import { joinWindowsArgs, samePath, splitWindowsArgs } from './command-line.ts';
import { changed, type WindowsDriver } from './driver.ts';
import { recordCommand, serviceRecord } from './fingerprint.ts';
import type { NssmState, ScmState, WindowsServiceCurrent } from './read.ts';
import { nssmRestart } from './recovery.ts';
import { scmRemoval, scmState } from './scm.ts';
import { scmChanges, scmConfigInput, scmRunning, stateChange } from './scm-view.ts';

export const NSSM = 'nssm.exe';

/** Where stdout/stderr go with log.destination files and no log.directory. */
export const defaultLogDirectory = (name: string): string => `C:\\ProgramData\\${name}\\logs`;

type Kind = 'ExpandString' | 'DWord' | 'MultiString';
interface Param {
  readonly name: string;
  readonly kind: Kind;
  readonly value: JsonValue;
}

/** The Parameters values the resource wants; absent ones (no log files) are removed. */
export function nssmParams(d: ServiceDesired): { set: Param[]; remove: string[]; exit: Record<string, string>; arguments: string[] } {
  const s = settings(d);
  const w = d.windows ?? {};
  const [program = '', ...args] = d.command ?? [];
  const r = nssmRestart(d, w.nssm?.exit_codes ?? {});
  const set: Param[] = [
    { name: 'Application', kind: 'ExpandString', value: program },
    { name: 'AppParameters', kind: 'ExpandString', value: joinWindowsArgs(args) },
    { name: 'AppDirectory', kind: 'ExpandString', value: d.working_directory ?? program.replace(/\\[^\\]*$/, '') },
    { name: 'AppRestartDelay', kind: 'DWord', value: r.restart_delay },
    { name: 'AppThrottle', kind: 'DWord', value: r.throttle },
  ];
  const remove: string[] = [];
  const env = Object.entries(s.environment).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`);
  if (env.length > 0) set.push({ name: 'AppEnvironmentExtra', kind: 'MultiString', value: env });
  else remove.push('AppEnvironmentExtra');
  if (s.log === 'files') {
    const dir = d.log?.directory ?? defaultLogDirectory(d.name);
    const rot = w.nssm?.rotation ?? {};
    set.push(
      { name: 'AppStdout', kind: 'ExpandString', value: `${dir}\\stdout.log` },
      { name: 'AppStderr', kind: 'ExpandString', value: `${dir}\\stderr.log` },
      { name: 'AppRotateFiles', kind: 'DWord', value: rot.files === false ? 0 : 1 },
      { name: 'AppRotateOnline', kind: 'DWord', value: rot.online === true ? 1 : 0 },
      { name: 'AppRotateSeconds', kind: 'DWord', value: rot.seconds ?? 0 },
      { name: 'AppRotateBytes', kind: 'DWord', value: rot.bytes ?? 0 },
    );
  } else remove.push('AppStdout', 'AppStderr', 'AppRotateFiles', 'AppRotateOnline', 'AppRotateSeconds', 'AppRotateBytes');
  return { set, remove, exit: { ...r.exit }, arguments: args };
}

/** The attribute names the plan shows for NSSM parameters. */
const ATTRIBUTE: Readonly<Record<string, string>> = {
  Application: 'command.0',
  AppParameters: 'command.arguments',
  AppDirectory: 'working_directory',
  AppRestartDelay: 'restart.delay_ms',
  AppThrottle: 'restart.throttle_ms',
  AppEnvironmentExtra: 'environment',
  AppStdout: 'log.stdout',
  AppStderr: 'log.stderr',
  AppRotateFiles: 'windows.nssm.rotation.files',
  AppRotateOnline: 'windows.nssm.rotation.online',
  AppRotateSeconds: 'windows.nssm.rotation.seconds',
  AppRotateBytes: 'windows.nssm.rotation.bytes',
};

/** A parameter as read (null: not set). */
function currentParam(n: NssmState, name: string): JsonValue {
  switch (name) {
    case 'Application': return n.application;
    case 'AppParameters': return n.parameters;
    case 'AppDirectory': return n.directory;
    case 'AppRestartDelay': return n.restart_delay;
    case 'AppThrottle': return n.throttle;
    case 'AppEnvironmentExtra': return n.environment.length === 0 ? null : [...n.environment];
    case 'AppStdout': return n.stdout || null;
    case 'AppStderr': return n.stderr || null;
    case 'AppRotateFiles': return n.rotate_files;
    case 'AppRotateOnline': return n.rotate_online;
    case 'AppRotateSeconds': return n.rotate_seconds;
    case 'AppRotateBytes': return n.rotate_bytes;
    default: return null;
  }
}

function sameParam(name: string, have: JsonValue, want: JsonValue): boolean {
  if (have === null || want === null) return have === want;
  if (name === 'AppParameters') return JSON.stringify(splitWindowsArgs(String(have))) === JSON.stringify(splitWindowsArgs(String(want)));
  if (name === 'Application' || name === 'AppDirectory' || name === 'AppStdout' || name === 'AppStderr') return samePath(String(have), String(want));
  return JSON.stringify(have) === JSON.stringify(want);
}

/** Environment values may be secrets: the plan names the variables, never their values. */
const envNames = (v: JsonValue): JsonValue => (Array.isArray(v) ? v.map((e) => String(e).replace(/=.*$/s, '=…')) : v);

export function nssmChanges(d: ServiceDesired, n: NssmState | null): AttributeChange[] {
  const want = nssmParams(d);
  const out: AttributeChange[] = [];
  for (const p of want.set) {
    const have = n === null ? null : currentParam(n, p.name);
    if (n === null || !sameParam(p.name, have, p.value)) {
      const attr = ATTRIBUTE[p.name] ?? p.name;
      out.push({ attribute: attr, before: have === null ? undefined : attr === 'environment' ? envNames(have) : have, after: attr === 'environment' ? envNames(p.value) : p.value });
    }
  }
  if (n !== null) {
    for (const name of want.remove) {
      const have = currentParam(n, name);
      if (have !== null) out.push({ attribute: ATTRIBUTE[name] ?? name, before: name === 'AppEnvironmentExtra' ? envNames(have) : have, after: undefined });
    }
  }
  const haveExit = n === null ? null : Object.fromEntries(Object.entries(n.exit).map(([k, v]) => [k, v]));
  const norm = (e: Record<string, string>): string => JSON.stringify(Object.entries(e).map(([k, v]) => [k.toLowerCase(), v.toLowerCase()]).sort());
  if (haveExit === null || norm(haveExit) !== norm(want.exit)) out.push({ attribute: 'restart.exit_actions', before: haveExit ?? undefined, after: want.exit });
  return out;
}

const nssmOf = (c: WindowsServiceCurrent): { scm: ScmState; nssm: NssmState } | null => (c.scm?.nssm ? { scm: c.scm, nssm: c.scm.nssm } : null);

export const nssmDriver: WindowsDriver = {
  method: 'nssm',
  exists: (c) => nssmOf(c) !== null,
  traces(d, c) {
    const r = nssmOf(c);
    if (r === null) return [];
    return [...(scmRunning(r.scm) ? [{ attribute: 'nssm.state', before: 'running', after: undefined }] : []), { attribute: 'nssm.registration', before: r.nssm.application, after: undefined }];
  },
  remove: (d, c) => (nssmOf(c) === null ? [] : [scmRemoval(d, `stop and delete NSSM service ${d.name}`)]),
  diff(d, c) {
    const r = nssmOf(c);
    return [...nssmChanges(d, r?.nssm ?? null), ...scmChanges(d, c, r?.scm ?? null), ...stateChange(d, r?.scm ?? null)];
  },
  apply(d, c, changes) {
    const r = nssmOf(c);
    const commands: PowerShellCommand[] = [];
    if (r === null) commands.push(windowsCommand('service/windows/nssm-install', { name: d.name, nssm: d.windows?.nssm?.executable ?? NSSM, application: d.command?.[0] ?? '' }, `install NSSM service ${d.name}`));
    const params = nssmParams(d);
    const paramsChanged = r === null || changed(changes, 'command', 'working_directory', 'restart', 'environment', 'log', 'windows.nssm');
    const logDirectory = settings(d).log === 'files' ? d.log?.directory ?? defaultLogDirectory(d.name) : null;
    if (paramsChanged) commands.push(windowsCommand('service/windows/nssm-parameters', { name: d.name, arguments: params.arguments, set: params.set.filter((p) => p.name !== 'AppParameters').map((p) => ({ ...p })), remove: params.remove, exit: params.exit, log_directory: logDirectory }, `set NSSM parameters of ${d.name}`));
    const config = scmConfigInput(d, changes);
    if (Object.keys(config).length > 0) commands.push(windowsCommand('service/windows/scm-configure', { name: d.name, ...config }, `configure service ${d.name}`));
    if (changed(changes, 'windows.password') && d.windows?.password !== undefined) commands.push(recordCommand(serviceRecord(d), d.windows.password, `record the password fingerprint of service ${d.name}`));
    const running = r !== null && scmRunning(r.scm);
    const want = settings(d).state;
    // NSSM reads its parameters when the service starts (AppExit when the program exits).
    const needsRestart = changed(changes, 'command', 'working_directory', 'environment', 'log', 'windows.nssm', 'restart.delay_ms', 'restart.throttle_ms', 'windows.account', 'windows.password');
    if (changed(changes, 'state') || (running && want === 'running' && needsRestart)) {
      commands.push(scmState(d, running && want === 'running', `${want === 'running' ? (running ? 'restart' : 'start') : 'stop'} service ${d.name}`));
    }
    return commands;
  },
};
