/**
 * Method `windows-service`: the program registered with the Service Control Manager. Created
 * with New-Service, configured through the SCM (Set-Service, Win32_Service.Change, sc.exe for
 * start type, recovery, privileges and SID type), never by writing its registry key.
 */
import { windowsCommand } from './script.ts';
import type { AttributeChange, PowerShellCommand } from '../../../src/core/types.ts';
import { settings, type ServiceDesired } from '../schema.ts';
import { sameCommand, splitWindowsCommandLine } from './command-line.ts';
import { changed, type WindowsDriver } from './driver.ts';
import { recordCommand, serviceRecord } from './fingerprint.ts';
import type { ScmState, WindowsServiceCurrent } from './read.ts';
import { actionsText, decodeFailureActions, normaliseActions, scActionsArg, scmRecovery, type ScmRecovery } from './recovery.ts';
import { scmChanges, scmConfigInput, scmRunning, stateChange } from './scm-view.ts';

const SID_TYPES = ['none', 'unrestricted', 'restricted'] as const;
const sidTypeName = (n: number): string => (n === 0 ? 'none' : n === 1 ? 'unrestricted' : n === 3 ? 'restricted' : `type ${n}`);

/** The recovery settings the SCM holds, in the shape scmRecovery gives. */
export function currentRecovery(scm: ScmState): ScmRecovery {
  const fa = scm.failure_actions === null ? { reset: 0, actions: [] } : decodeFailureActions(Buffer.from(scm.failure_actions, 'base64'));
  return { reset: fa.reset, actions: fa.actions, on_non_crash: scm.failure_on_non_crash === 1 };
}

function recoveryChanges(d: ServiceDesired, scm: ScmState | null): AttributeChange[] {
  const want = scmRecovery(d);
  const have = scm === null ? null : currentRecovery(scm);
  const out: AttributeChange[] = [];
  const wantActions = normaliseActions(want.actions);
  const haveActions = have === null ? null : normaliseActions(have.actions);
  if (haveActions === null || actionsText(haveActions) !== actionsText(wantActions)) out.push({ attribute: 'restart.actions', before: haveActions === null ? undefined : actionsText(haveActions), after: actionsText(wantActions) });
  // Without actions the reset period means nothing.
  if (wantActions.length > 0 && (have === null || have.reset !== want.reset)) out.push({ attribute: 'restart.reset_period', before: have?.reset, after: want.reset });
  if (have === null ? want.on_non_crash : have.on_non_crash !== want.on_non_crash) out.push({ attribute: 'restart.on_non_crash_failure', before: have?.on_non_crash, after: want.on_non_crash });
  return out;
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x) => b.some((y) => y.toLowerCase() === x.toLowerCase()));

/** The SCM registration of this method (not one NSSM runs). */
const own = (c: WindowsServiceCurrent): ScmState | null => (c.scm !== null && c.scm.nssm === null ? c.scm : null);

export const scmRemoval = (d: ServiceDesired, label: string): PowerShellCommand => windowsCommand('service/windows/scm-remove', { name: d.name }, label);

export function scmState(d: ServiceDesired, restart: boolean, label: string): PowerShellCommand {
  return windowsCommand('service/windows/scm-state', { name: d.name, state: settings(d).state, restart }, label);
}

export const scmDriver: WindowsDriver = {
  method: 'windows-service',
  exists: (c) => own(c) !== null,
  traces(d, c) {
    const scm = own(c);
    if (scm === null) return [];
    return [...(scmRunning(scm) ? [{ attribute: 'windows-service.state', before: 'running', after: undefined }] : []), { attribute: 'windows-service.registration', before: d.name, after: undefined }];
  },
  remove: (d, c) => (own(c) === null ? [] : [scmRemoval(d, `stop and delete service ${d.name}`)]),
  diff(d, c) {
    const scm = own(c);
    const w = d.windows ?? {};
    const out: AttributeChange[] = [];
    const command = [...(d.command ?? [])];
    const have = scm === null ? null : splitWindowsCommandLine(scm.image_path);
    if (have === null || !sameCommand(have, command)) out.push({ attribute: 'command', before: have ?? undefined, after: command });
    out.push(...scmChanges(d, c, scm));
    if (w.required_privileges !== undefined && (scm === null || !sameSet(scm.required_privileges, w.required_privileges))) {
      out.push({ attribute: 'windows.required_privileges', before: scm === null ? undefined : [...scm.required_privileges], after: [...w.required_privileges] });
    }
    if (w.sid_type !== undefined && (scm === null || sidTypeName(scm.sid_type) !== w.sid_type)) out.push({ attribute: 'windows.sid_type', before: scm === null ? undefined : sidTypeName(scm.sid_type), after: w.sid_type });
    out.push(...recoveryChanges(d, scm));
    out.push(...stateChange(d, scm));
    return out;
  },
  apply(d, c, changes) {
    const scm = own(c);
    const w = d.windows ?? {};
    const commands: PowerShellCommand[] = [];
    // The host quotes the command line (scm-install/scm-configure): the arguments travel as data.
    const argv = [...(d.command ?? [])];
    if (scm === null) commands.push(windowsCommand('service/windows/scm-install', { name: d.name, argv, display_name: w.display_name ?? d.name }, `create service ${d.name}`));
    const config = scmConfigInput(d, changes);
    if (scm !== null && changed(changes, 'command')) config['argv'] = argv;
    if (changed(changes, 'windows.required_privileges')) config['required_privileges'] = [...(w.required_privileges ?? [])];
    if (changed(changes, 'windows.sid_type') && w.sid_type !== undefined) config['sid_type'] = SID_TYPES.includes(w.sid_type) ? w.sid_type : 'none';
    if (changed(changes, 'restart')) {
      const r = scmRecovery(d);
      config['failure'] = { reset: r.reset, actions: scActionsArg(r.actions), on_non_crash: r.on_non_crash };
    }
    if (Object.keys(config).length > 0) commands.push(windowsCommand('service/windows/scm-configure', { name: d.name, ...config }, `configure service ${d.name}`));
    if (changed(changes, 'windows.password') && d.windows?.password !== undefined) commands.push(recordCommand(serviceRecord(d), d.windows.password, `record the password fingerprint of service ${d.name}`));
    const running = scm !== null && scmRunning(scm);
    const want = settings(d).state;
    // A running service picks up a new binary path, account or privileges only when it restarts.
    const needsRestart = changed(changes, 'command', 'windows.account', 'windows.password', 'windows.required_privileges', 'windows.sid_type');
    if (changed(changes, 'state') || (running && want === 'running' && needsRestart)) {
      commands.push(scmState(d, running && want === 'running', `${want === 'running' ? (running ? 'restart' : 'start') : 'stop'} service ${d.name}`));
    }
    return commands;
  },
};
