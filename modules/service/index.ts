/**
 * `service`: one service described once, started at boot by one of four Linux methods (systemd,
 * sysv, cron-reboot, supervisor) or three Windows methods (windows-service, nssm, scheduled-task;
 * see windows/) with the same run account, restart policy and logging. The single
 * probe reads every method's registration, so a change of `autostart.method` plans the removal of
 * the old registration (stopping the old instance first) and the creation of the new one in one
 * plan; `absent` removes every trace of every method.
 */
import { unchanged } from '../../src/core/diff.ts';
import type { AttributeChange, AutoEdge, Command, DiffResult, HostCommand, Module } from '../../src/core/types.ts';
import { ensureOwnedDir, type Driver } from './common.ts';
import { cronDriver } from './methods/cron.ts';
import { supervisorDriver } from './methods/supervisor.ts';
import { sysvDriver } from './methods/sysv.ts';
import { backoffSupport, BACKOFF_SYSTEMD, systemdDriver } from './methods/systemd.ts';
import { wrappedRemove, wrappedTraces } from './methods/wrapped.ts';
import { health } from './health.ts';
import { parse, probe, type ServiceCurrent } from './probe.ts';
import { check, isWindowsMethod, schema, settings, type LinuxMethod, type ServiceDesired } from './schema.ts';
import { windowsApply, windowsDiff } from './windows/index.ts';
import { isWindowsCurrent, parseWindows, windowsProbe, type WindowsServiceCurrent } from './windows/read.ts';
import { windowsEdges } from './windows/edges.ts';

export type { ServiceCurrent } from './probe.ts';
export type { ServiceDesired } from './schema.ts';

export const DRIVERS: Readonly<Record<LinuxMethod, Driver>> = {
  systemd: systemdDriver,
  sysv: sysvDriver,
  'cron-reboot': cronDriver,
  supervisor: supervisorDriver,
};

const usesWrapper = (m: LinuxMethod): boolean => m === 'sysv' || m === 'cron-reboot';
const numeric = (v: string): boolean => /^[0-9]+$/.test(v);

/** Methods other than `keep` that left something on the host. */
function others(d: ServiceDesired, c: ServiceCurrent, keep: LinuxMethod | null): Driver[] {
  return Object.values(DRIVERS).filter((dr) => dr.method !== keep && dr.traces(d, c).length > 0);
}

/** Which method a registration on the host belongs to (for the plan's autostart.method line). */
function registeredMethods(d: ServiceDesired, c: ServiceCurrent): LinuxMethod[] {
  return Object.values(DRIVERS).filter((dr) => dr.exists(c)).map((dr) => dr.method);
}

function logDirChange(d: ServiceDesired, c: ServiceCurrent): AttributeChange[] {
  const s = settings(d);
  return s.log === 'files' && c.log_dir === null ? [{ attribute: 'log_directory_created', before: undefined, after: s.logDirectory }] : [];
}

/** A Windows method with a Linux read state (or the reverse) is a bug in the engine's host routing. */
function platformMismatch(d: ServiceDesired): Error {
  return new Error(`service ${d.name}: method ${settings(d).method} was read on a host of the other platform`);
}

export function diff(d: ServiceDesired, c: AnyServiceCurrent): DiffResult {
  const s = settings(d);
  if (isWindowsMethod(s.method) !== isWindowsCurrent(c)) throw platformMismatch(d);
  if (isWindowsCurrent(c)) return windowsDiff(d, c);
  return linuxDiff(d, c, s.method as LinuxMethod);
}

function linuxDiff(d: ServiceDesired, c: ServiceCurrent, method: LinuxMethod): DiffResult {
  const s = { ...settings(d), method };
  if (!s.present) {
    const changes = [...Object.values(DRIVERS).flatMap((dr) => dr.traces(d, c)), ...wrappedTraces(d, c)];
    return changes.length > 0 ? { status: 'change', action: 'delete', changes } : unchanged(`service ${d.name} is absent`);
  }
  const driver = DRIVERS[s.method];
  const old = others(d, c, s.method);
  const changes: AttributeChange[] = [];
  const before = registeredMethods(d, c).filter((m) => m !== s.method);
  if (before.length > 0) changes.push({ attribute: 'autostart.method', before: before.join(','), after: s.method });
  changes.push(...old.flatMap((dr) => dr.traces(d, c)));
  if (!usesWrapper(s.method)) changes.push(...wrappedTraces(d, c));
  changes.push(...logDirChange(d, c));
  changes.push(...driver.diff(d, c));
  const downgraded = s.method === 'systemd' && backoffSupport(d, c.systemd_version) === 'downgraded' ? `left out: systemd ${c.systemd_version ?? 'absent'} < ${BACKOFF_SYSTEMD} has no RestartSteps=, the delay stays fixed (allow_downgrade)` : '';
  if (changes.length === 0) return unchanged(`service ${d.name} (${s.method}): up to date, ${s.enabled ? 'enabled' : 'disabled'}, ${s.state}${downgraded ? `; restart.backoff ${downgraded}` : ''}`);
  const fresh = !driver.exists(c) && old.length === 0 && before.length === 0;
  return { status: 'change', action: fresh ? 'create' : 'update', changes: downgraded ? [...changes, { attribute: 'restart.backoff', before: undefined, after: downgraded }] : changes };
}

/** The same command twice in a row of removals (two methods stopping one wrapper) runs once. */
function dedupe(commands: readonly Command[]): Command[] {
  const seen = new Set<string>();
  return commands.filter((cmd) => {
    if (cmd.stdin !== undefined) return true;
    const key = JSON.stringify(cmd.argv);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function apply(d: ServiceDesired, c: AnyServiceCurrent, result: DiffResult & { status: 'change' }): HostCommand[] {
  const s = settings(d);
  if (isWindowsMethod(s.method) !== isWindowsCurrent(c)) throw platformMismatch(d);
  if (isWindowsCurrent(c)) return windowsApply(d, c, result);
  return linuxApply(d, c, s.method as LinuxMethod, result);
}

function linuxApply(d: ServiceDesired, c: ServiceCurrent, method: LinuxMethod, result: DiffResult & { status: 'change' }): Command[] {
  const s = { ...settings(d), method };
  if (!s.present) return dedupe([...Object.values(DRIVERS).flatMap((dr) => dr.remove(d, c)), ...wrappedRemove(d, c)]);
  const driver = DRIVERS[s.method];
  // Old registrations first: the old instance stops before the new one starts (one instance).
  const removals: Command[] = others(d, c, s.method).flatMap((dr) => dr.remove(d, c));
  if (!usesWrapper(s.method)) removals.push(...wrappedRemove(d, c));
  const commands = dedupe(removals);
  if (usesWrapper(s.method) && c.wrapper_pid !== null && others(d, c, s.method).some((dr) => usesWrapper(dr.method))) {
    // sysv <-> cron-reboot: the old method's wrapper was stopped above; the new one starts it again.
    c = { ...c, wrapper_pid: null };
  }
  if (logDirChange(d, c).length > 0) commands.push(ensureOwnedDir(s.logDirectory, d));
  const own = driver.diff(d, c);
  commands.push(...driver.apply(d, c, own.length > 0 ? own : result.changes));
  return commands;
}

export type AnyServiceCurrent = ServiceCurrent | WindowsServiceCurrent;

export const serviceModule: Module<ServiceDesired, AnyServiceCurrent> = {
  kind: 'service',
  summary: 'A service described once and started at boot by systemd, a SysV init script, a cron @reboot line or supervisor (Linux), or by the Service Control Manager, NSSM or a scheduled task (Windows), with one run account, restart policy and logging; switching methods removes the old registration.',
  platforms: ['linux', 'windows'],
  platformOf: (d) => (isWindowsMethod(settings(d).method) ? 'windows' : 'linux'),
  schema,
  sensitiveAttributes: ['windows.password'],
  publicAttributes: ['health'],
  name: (d) => d.name,
  removal: (d) => ({ name: d.name, ensure: 'absent' }),
  edges(d): AutoEdge[] {
    const s = settings(d);
    if (isWindowsMethod(s.method)) return windowsEdges(d);
    const edges: AutoEdge[] = [];
    if (d.user !== undefined && !numeric(d.user)) edges.push({ kind: 'user', name: d.user });
    if (d.group !== undefined && !numeric(d.group)) edges.push({ kind: 'group', name: d.group });
    const program = d.command?.[0];
    const watched = new Set([...(d.reads ?? []), ...(d.writes ?? [])]);
    if (program !== undefined && !watched.has(program)) edges.push({ kind: 'file', name: program });
    if (d.working_directory !== undefined && !watched.has(d.working_directory)) edges.push({ kind: 'directory', name: d.working_directory });
    if (s.log === 'files' && !watched.has(s.logDirectory)) edges.push({ kind: 'directory', name: s.logDirectory });
    if (s.present && s.method === 'supervisor') edges.push({ kind: 'package', name: 'supervisor' });
    if (s.present && s.method === 'cron-reboot') edges.push({ kind: 'package', name: 'cron' });
    for (const path of watched) edges.push({ kind: 'file', name: path, notify: true }, { kind: 'directory', name: path, notify: true });
    return edges;
  },
  check,
  probe: (d) => (isWindowsMethod(settings(d).method) ? windowsProbe(d) : probe(d)),
  parse: (result, d, facts) => (isWindowsMethod(settings(d).method) ? parseWindows(result) : parse(result, d, facts)),
  // Restarts by a method itself change pids, not the plan.
  stableState: (c) => (isWindowsCurrent(c) ? c : {
    ...c,
    systemd: (({ main_pid: _p, sub_state: _s, active_state: _a, ...rest }) => rest)(c.systemd),
    wrapper_pid: c.wrapper_pid !== null,
    supervisor_status: c.supervisor_status.map((p) => ({ name: p.name, state: p.state })),
  }),
  diff,
  apply,
  health,
  refresh(d, c, ownDiff) {
    const s = settings(d);
    if (!s.present || s.state !== 'running' || isWindowsMethod(s.method)) return null;
    if (ownDiff.status === 'change' && ownDiff.changes.some((ch) => ch.attribute === 'state' || ch.attribute === 'autostart.method' || ch.before === undefined)) return null;
    return { reason: 'notified by a change', commands: DRIVERS[s.method as LinuxMethod].restart(d) };
  },
};
