/**
 * Method `scheduled-task`: a Task Scheduler task that starts the program at startup or at logon.
 * Any change registers the whole task again (Register-ScheduledTask -Force), which is what Task
 * Scheduler does with an edited task anyway. Durations compare as durations (PT30S = 00:00:30).
 */
import { windowsCommand } from './script.ts';
import type { AttributeChange, JsonValue, PowerShellCommand } from '../../../src/core/types.ts';
import { settings, type ServiceDesired } from '../schema.ts';
import { sameCommand, samePath, splitWindowsArgs } from './command-line.ts';
import { changed, type WindowsDriver } from './driver.ts';
import { durationSeconds, isoDuration } from './duration.ts';
import { taskPath, type TaskState, type WindowsServiceCurrent } from './read.ts';
import { taskRestart } from './recovery.ts';
import type { LogonType } from './schema.ts';
import { passwordDue, recordCommand, taskRecord } from './fingerprint.ts';
import { accountSid, PASSWORD_SET, PASSWORD_UNKNOWN } from './scm-view.ts';
import { accountKind, sameAccount } from './sid.ts';

export const TASK_ACCOUNT = 'NT AUTHORITY\\SYSTEM';

/** Task Scheduler's names (MSFT_TaskPrincipal LogonType) for the schema's. */
const LOGON: Readonly<Record<LogonType, string>> = {
  'service-account': 'ServiceAccount',
  password: 'Password',
  s4u: 'S4U',
  interactive: 'Interactive',
  group: 'Group',
  'interactive-or-password': 'InteractiveOrPassword',
};

const TRIGGER: Readonly<Record<string, string>> = { MSFT_TaskBootTrigger: 'startup', MSFT_TaskLogonTrigger: 'logon' };

export function logonType(d: ServiceDesired): LogonType {
  const t = d.windows?.task;
  if (t?.logon_type) return t.logon_type;
  if (t?.group !== undefined) return 'group';
  if (d.windows?.password !== undefined) return 'password';
  return accountKind(d.windows?.account ?? TASK_ACCOUNT) === 'builtin' ? 'service-account' : 'interactive';
}

/** The whole task as the register script takes it (password added separately). */
export function taskSpec(d: ServiceDesired): Record<string, JsonValue> {
  const w = d.windows ?? {};
  const t = w.task ?? {};
  const [program = '', ...args] = d.command ?? [];
  const r = taskRestart(d);
  const group = t.group;
  return {
    name: d.name,
    path: taskPath(d),
    description: d.description ?? '',
    execute: program,
    // A list: the host quotes it (task-register), so the arguments travel as data.
    arguments: [...args],
    working_directory: d.working_directory ?? '',
    trigger: { at: t.trigger?.at ?? 'startup', user: t.trigger?.user ?? null, delay: isoDuration(durationSeconds(t.trigger?.delay ?? 0) ?? 0) },
    user: group === undefined ? w.account ?? TASK_ACCOUNT : null,
    group: group ?? null,
    logon_type: LOGON[logonType(d)],
    run_level: t.run_level === 'highest' ? 'Highest' : 'Limited',
    restart_count: r.count,
    restart_interval: isoDuration(r.interval),
    execution_time_limit: isoDuration(durationSeconds(t.execution_time_limit ?? 0) ?? 0),
    enabled: settings(d).enabled,
  };
}

function sameDurationText(a: string, b: string): boolean {
  return durationSeconds(a) === durationSeconds(b);
}

export function taskChanges(d: ServiceDesired, c: WindowsServiceCurrent, task: TaskState | null): AttributeChange[] {
  const spec = taskSpec(d);
  const out: AttributeChange[] = [];
  const add = (attribute: string, before: JsonValue | undefined, after: JsonValue): void => {
    out.push({ attribute, before, after });
  };
  const command = [...(d.command ?? [])];
  const trigger = spec['trigger'] as { at: string; user: string | null; delay: string };
  const who = (spec['group'] ?? spec['user']) as string;
  const whoAttr = spec['group'] !== null ? 'windows.task.group' : 'windows.account';
  if (task === null) {
    add('command', undefined, command);
    if (d.working_directory !== undefined) add('working_directory', undefined, d.working_directory);
    if (d.description !== undefined) add('description', undefined, d.description);
    add('windows.task.trigger.at', undefined, trigger.at);
    if (trigger.user !== null) add('windows.task.trigger.user', undefined, trigger.user);
    add('windows.task.trigger.delay', undefined, trigger.delay);
    add(whoAttr, undefined, who);
    if (d.windows?.password !== undefined) add('windows.password', undefined, PASSWORD_SET);
    add('windows.task.logon_type', undefined, spec['logon_type'] as string);
    add('windows.task.run_level', undefined, spec['run_level'] as string);
    add('restart.count', undefined, spec['restart_count'] as number);
    add('restart.interval', undefined, spec['restart_interval'] as string);
    add('windows.task.execution_time_limit', undefined, spec['execution_time_limit'] as string);
    add('enabled', undefined, spec['enabled'] as boolean);
    if (d.state === 'running') add('state', undefined, 'running');
    return out;
  }
  const action = task.actions[0];
  const have = action ? [action.execute, ...splitWindowsArgs(action.arguments)] : [];
  if (task.actions.length !== 1 || !sameCommand(have, command)) add('command', task.actions.length > 1 ? task.actions.map((a) => `${a.execute} ${a.arguments}`.trim()) : have, command);
  if (d.working_directory !== undefined && !samePath(action?.working_directory ?? '', d.working_directory)) add('working_directory', action?.working_directory ?? '', d.working_directory);
  if (d.description !== undefined && task.description !== d.description) add('description', task.description, d.description);
  const tr = task.triggers[0];
  const haveAt = tr ? TRIGGER[tr.type] ?? tr.type : 'none';
  if (task.triggers.length !== 1 || haveAt !== trigger.at) add('windows.task.trigger.at', task.triggers.map((x) => TRIGGER[x.type] ?? x.type).join(',') || 'none', trigger.at);
  if (trigger.at === 'logon') {
    const haveUser = tr?.user ?? '';
    const same = trigger.user === null ? haveUser === '' : haveUser !== '' && sameAccount(trigger.user, accountSid(trigger.user, c), haveUser, null);
    if (!same) add('windows.task.trigger.user', haveUser || null, trigger.user);
  }
  if (!sameDurationText(tr?.delay ?? '', trigger.delay)) add('windows.task.trigger.delay', tr?.delay || 'PT0S', trigger.delay);
  const haveWho = task.group !== '' ? task.group : task.user;
  const whoChanged = !sameAccount(who, accountSid(who, c), haveWho, task.principal_sid);
  if (whoChanged || (task.group !== '') !== (spec['group'] !== null)) add(whoAttr, haveWho, who);
  if (passwordDue(d, false, whoChanged, c.passwords[taskRecord(d)])) add('windows.password', PASSWORD_UNKNOWN, PASSWORD_SET);
  if (task.logon_type !== spec['logon_type']) add('windows.task.logon_type', task.logon_type, spec['logon_type'] as string);
  if (task.run_level !== spec['run_level']) add('windows.task.run_level', task.run_level, spec['run_level'] as string);
  if (task.restart_count !== spec['restart_count']) add('restart.count', task.restart_count, spec['restart_count'] as number);
  if ((spec['restart_count'] as number) > 0 && !sameDurationText(task.restart_interval, spec['restart_interval'] as string)) add('restart.interval', task.restart_interval || 'PT0S', spec['restart_interval'] as string);
  if (!sameDurationText(task.execution_time_limit, spec['execution_time_limit'] as string)) add('windows.task.execution_time_limit', task.execution_time_limit, spec['execution_time_limit'] as string);
  if (task.enabled !== spec['enabled']) add('enabled', task.enabled, spec['enabled'] as boolean);
  if (d.state !== undefined && (task.state === 'Running') !== (d.state === 'running')) add('state', task.state.toLowerCase(), d.state);
  return out;
}

const remove = (d: ServiceDesired, c: WindowsServiceCurrent): PowerShellCommand => windowsCommand('service/windows/task-remove', { name: d.name, path: c.task?.path ?? taskPath(d) }, `stop and delete scheduled task ${d.name}`);

export const taskDriver: WindowsDriver = {
  method: 'scheduled-task',
  exists: (c) => c.task !== null,
  traces(d, c) {
    if (c.task === null) return [];
    return [...(c.task.state === 'Running' ? [{ attribute: 'scheduled-task.state', before: 'running', after: undefined }] : []), { attribute: 'scheduled-task.registration', before: `${c.task.path}${d.name}`, after: undefined }];
  },
  remove: (d, c) => (c.task === null ? [] : [remove(d, c)]),
  diff: (d, c) => taskChanges(d, c, c.task),
  apply(d, c, changes) {
    const commands: PowerShellCommand[] = [];
    if (c.task === null || changes.some((ch) => ch.attribute !== 'state')) {
      commands.push(windowsCommand('service/windows/task-register', { ...taskSpec(d), password: d.windows?.password ?? null }, `register scheduled task ${taskPath(d)}${d.name}`));
    }
    if (changed(changes, 'windows.password') && d.windows?.password !== undefined) commands.push(recordCommand(taskRecord(d), d.windows.password, `record the password fingerprint of task ${d.name}`));
    if (changed(changes, 'state') && d.state !== undefined) commands.push(windowsCommand('service/windows/task-state', { name: d.name, path: taskPath(d), state: d.state }, `${d.state === 'running' ? 'start' : 'stop'} scheduled task ${d.name}`));
    return commands;
  },
};
