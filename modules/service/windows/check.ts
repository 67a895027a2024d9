/** What the Windows methods cannot express of the common model: errors, or warnings with restart.allow_downgrade. */
import type { Problem, ServiceDesired, Settings } from '../schema.ts';
import { MAX_SCM_BURST, TASK_MIN_INTERVAL } from './recovery.ts';
import { accountKind } from './sid.ts';

export function windowsChecks(d: ServiceDesired, s: Settings): Problem[] {
  if (!s.present) return [];
  const out: Problem[] = [];
  const m = s.method;
  const w = d.windows ?? {};
  const downgrade = d.restart?.allow_downgrade === true;
  const limit = (attribute: string, message: string, hint: string): void => {
    out.push(downgrade ? { attribute, message: `${message}; allow_downgrade: it is left out`, severity: 'warning' } : { attribute, message, hint: `${hint}, or set restart.allow_downgrade: true to accept this` });
  };
  const refuse = (attribute: string, message: string, hint: string): void => {
    out.push({ attribute, message, hint });
  };
  if (d.user !== undefined || d.group !== undefined) refuse(d.user !== undefined ? 'user' : 'group', `method ${m} runs under windows.account, not user/group`, 'set windows.account (e.g. NT SERVICE\\<name>) instead');
  if (d.reads !== undefined || d.writes !== undefined) refuse(d.reads !== undefined ? 'reads' : 'writes', 'reads/writes name POSIX paths and restart a Linux service; Windows methods do not support them yet', 'remove reads/writes');
  const kind = w.account === undefined ? 'builtin' : accountKind(w.account);
  if (w.password !== undefined && kind !== 'user') refuse('windows.password', `${w.account ?? 'LocalSystem'} takes no password (built-in, virtual and gMSA accounts have none)`, 'remove windows.password');
  if (w.password === undefined && kind === 'user' && m !== 'scheduled-task') refuse('windows.account', `the user account ${w.account ?? ''} needs windows.password`, 'set windows.password: \'{{env "SVC_PASSWORD"}}\', or use a gMSA (name$) or a virtual account NT SERVICE\\<name>');
  if (d.enabled === false && (w.start_mode === 'auto' || w.start_mode === 'delayed-auto')) refuse('windows.start_mode', `start_mode ${w.start_mode} contradicts enabled: false`, 'remove one of them');
  if (s.state === 'running' && (w.start_mode === 'disabled' || (m === 'scheduled-task' && d.state === 'running' && !s.enabled))) refuse('state', m === 'scheduled-task' ? 'a disabled task cannot be started' : 'a disabled service cannot be started', 'set state: stopped, or enabled/start_mode so it can start');
  if (m !== 'windows-service') {
    if (w.required_privileges !== undefined) refuse('windows.required_privileges', `required_privileges need method windows-service, not ${m}`, 'remove windows.required_privileges');
    if (w.sid_type !== undefined) refuse('windows.sid_type', `sid_type needs method windows-service, not ${m}`, 'remove windows.sid_type');
  }
  if (m !== 'nssm' && w.nssm !== undefined) refuse('windows.nssm', `windows.nssm has no effect with method ${m}`, 'remove windows.nssm');
  // task.path may stay: it tells the read where a task left by a switch of method is.
  if (m !== 'scheduled-task' && w.task !== undefined && Object.keys(w.task).some((k) => k !== 'path')) refuse('windows.task', `only windows.task.path is used with method ${m} (to find a task left from method scheduled-task)`, 'keep only windows.task.path');
  if (m === 'scheduled-task') {
    for (const a of ['display_name', 'start_mode', 'dependencies'] as const) if (w[a] !== undefined) refuse(`windows.${a}`, `${a} belongs to the Service Control Manager, not to method scheduled-task`, `remove windows.${a}`);
    if (w.task?.group !== undefined && w.account !== undefined) refuse('windows.task.group', 'a task runs for a group or for an account, not both', 'remove windows.account or windows.task.group');
  }
  if (m === 'windows-service' || m === 'scheduled-task') {
    if (Object.keys(s.environment).length > 0) refuse('environment', `method ${m} cannot set an environment for the program`, 'use method nssm (AppEnvironmentExtra) or let the program read its configuration');
    if (s.log === 'files') refuse('log.destination', `method ${m} cannot redirect the program's output to files`, 'use method nssm (AppStdout/AppStderr with rotation) or let the program write its own logs');
  }
  if (m === 'windows-service' && d.working_directory !== undefined) refuse('working_directory', 'the Service Control Manager always starts a service in C:\\Windows\\System32', 'use method nssm (AppDirectory) or make the program change directory');
  if (d.wait_for_network) limit('wait_for_network', `method ${m} cannot wait until the network is online`, m === 'scheduled-task' ? 'use a trigger delay' : 'add windows.dependencies (e.g. [Tcpip, Dnscache]) and remove wait_for_network');
  const r = d.restart;
  if (m === 'windows-service' && s.policy === 'always') limit('restart.policy', 'the Service Control Manager runs recovery actions only when a service fails (crash or non-zero exit), not after a clean stop', 'use restart.policy: on-failure');
  if (m === 'windows-service' && r?.start_limit && r.start_limit.burst > MAX_SCM_BURST) limit('restart.start_limit.burst', `the SCM holds one recovery action per restart; provision writes at most ${MAX_SCM_BURST}`, `use a burst of ${MAX_SCM_BURST} or fewer`);
  if (m === 'nssm') {
    if (r?.start_limit) limit('restart.start_limit', 'NSSM restarts without a limit (it only throttles runs shorter than AppThrottle)', 'remove restart.start_limit');
    if (r?.backoff) limit('restart.backoff', 'NSSM doubles its pause only after runs shorter than AppThrottle (set to backoff.max_delay), with its own fixed cap', 'remove restart.backoff');
  }
  if (m === 'scheduled-task') {
    if (s.policy === 'always') limit('restart.policy', 'Task Scheduler restarts a task only when it fails, not after it ended normally', 'use restart.policy: on-failure');
    if (r?.backoff) limit('restart.backoff', 'Task Scheduler restarts at a fixed interval', 'remove restart.backoff');
    if (s.delay !== undefined && s.delay < TASK_MIN_INTERVAL) limit('restart.delay', `Task Scheduler's shortest restart interval is ${TASK_MIN_INTERVAL} seconds`, `use restart.delay: ${TASK_MIN_INTERVAL} or more`);
    if (r?.start_limit && r.start_limit.burst > 999) refuse('restart.start_limit.burst', 'Task Scheduler allows at most 999 restarts', 'use a smaller burst');
  }
  return out;
}
