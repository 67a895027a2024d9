/**
 * The Windows half of `service`: one read gives every Windows registration of the name, so a
 * change among windows-service, nssm and scheduled-task removes the old registration (stopping
 * it first) before the new one is created, in one plan; absent removes all of them.
 */
import { unchanged } from '../../../src/core/diff.ts';
import type { AttributeChange, DiffResult, PowerShellCommand } from '../../../src/core/types.ts';
import { settings, type ServiceDesired, type WindowsMethod } from '../schema.ts';
import type { WindowsDriver } from './driver.ts';
import { recordCommand } from './fingerprint.ts';
import { nssmDriver } from './nssm.ts';
import type { WindowsServiceCurrent } from './read.ts';
import { scmDriver } from './scm.ts';
import { taskDriver } from './task.ts';

export const WINDOWS_DRIVERS: Readonly<Record<WindowsMethod, WindowsDriver>> = {
  'windows-service': scmDriver,
  nssm: nssmDriver,
  'scheduled-task': taskDriver,
};

const drivers = Object.values(WINDOWS_DRIVERS);

/** The state once the old methods' registrations are removed: the new method starts from nothing. */
function withoutOld(c: WindowsServiceCurrent, old: readonly WindowsDriver[]): WindowsServiceCurrent {
  let out = c;
  if (old.some((dr) => dr.method !== 'scheduled-task')) out = { ...out, scm: null };
  if (old.some((dr) => dr.method === 'scheduled-task')) out = { ...out, task: null };
  return out;
}

export function windowsDiff(d: ServiceDesired, c: WindowsServiceCurrent): DiffResult {
  const s = settings(d);
  if (!s.present) {
    const changes = [...drivers.flatMap((dr) => dr.traces(d, c)), ...Object.entries(c.passwords).filter(([, v]) => v !== null).map(([record]) => ({ attribute: `password_fingerprint.${record}`, before: 'kept', after: undefined }))];
    return changes.length > 0 ? { status: 'change', action: 'delete', changes } : unchanged(`service ${d.name} is absent`);
  }
  const driver = WINDOWS_DRIVERS[s.method as WindowsMethod];
  const old = drivers.filter((dr) => dr !== driver && dr.exists(c));
  const changes: AttributeChange[] = [];
  if (old.length > 0) changes.push({ attribute: 'autostart.method', before: old.map((dr) => dr.method).join(','), after: s.method });
  changes.push(...old.flatMap((dr) => dr.traces(d, c)));
  changes.push(...driver.diff(d, withoutOld(c, old)));
  if (changes.length === 0) return unchanged(`service ${d.name} (${s.method}): up to date, ${s.enabled ? 'enabled' : 'disabled'}${d.state === undefined && s.method === 'scheduled-task' ? '' : `, ${s.state}`}`);
  return { status: 'change', action: !driver.exists(c) && old.length === 0 ? 'create' : 'update', changes };
}

export function windowsApply(d: ServiceDesired, c: WindowsServiceCurrent, result: DiffResult & { status: 'change' }): PowerShellCommand[] {
  const s = settings(d);
  if (!s.present) return [...drivers.flatMap((dr) => dr.remove(d, c)), ...Object.entries(c.passwords).filter(([, v]) => v !== null).map(([record]) => recordCommand(record, null, `forget the password fingerprint ${record}`))];
  const driver = WINDOWS_DRIVERS[s.method as WindowsMethod];
  const old = drivers.filter((dr) => dr !== driver && dr.exists(c));
  const commands = old.flatMap((dr) => dr.remove(d, c));
  const after = withoutOld(c, old);
  const own = driver.diff(d, after);
  commands.push(...driver.apply(d, after, own.length > 0 ? own : result.changes));
  return commands;
}
