/**
 * Health checks and restart verification of a `service`: where each autostart method keeps the
 * service's journal lines and how its main process is found (systemd's MainPID, supervisor's pid
 * of the first process, the child of the respawn wrapper).
 */
import { resolveChecks, type ServiceHealth } from '../../src/core/health.ts';
import type { Command } from '../../src/core/types.ts';
import { systemdMainPid } from '../systemd_service/health.ts';
import { isWindowsMethod, settings, type LinuxMethod, type Method, type ServiceDesired } from './schema.ts';
import { pidPath } from './spec.ts';

/** The first RUNNING process of the program group. */
const SUPERVISOR_PID = 'supervisorctl status "$1:*" 2>/dev/null | awk \'$2 == "RUNNING" && $3 == "pid" { sub(",", "", $4); print $4; exit }\'';

// The wrapper's only children are the program and, between two runs, `sleep DELAY`: skip the latter.
const WRAPPER_CHILD = [
  'p=$(cat -- "$1" 2>/dev/null) && [ -n "$p" ] || exit 0',
  'for c in $(pgrep -P "$p"); do',
  '  case $(tr "\\0" " " <"/proc/$c/cmdline" 2>/dev/null) in "sleep "[0-9]*) ;; *) echo "$c"; exit 0 ;; esac',
  'done',
].join('\n');

function mainPid(method: LinuxMethod, name: string): Command {
  switch (method) {
    case 'systemd':
      return systemdMainPid(`${name}.service`);
    case 'supervisor':
      return { argv: ['sh', '-c', SUPERVISOR_PID, 'sh', name], label: `main pid of ${name}` };
    case 'sysv':
    case 'cron-reboot':
      return { argv: ['sh', '-c', WRAPPER_CHILD, 'sh', pidPath(name)], label: `main pid of ${name}` };
  }
}

/** journalctl arguments selecting the lines the service writes when its log goes to the journal. */
function journalOf(method: Method, name: string): string[] {
  if (method === 'systemd') return ['-u', `${name}.service`];
  // supervisor sends a program's output to syslog under its own name, inside supervisor.service.
  if (method === 'supervisor') return ['-u', 'supervisor.service'];
  return ['-t', name]; // the respawn wrapper logs through systemd-cat -t NAME
}

export function health(d: ServiceDesired): ServiceHealth | null {
  const s = settings(d);
  if (!s.present || s.state !== 'running' || (!d.health?.length && !d.verify)) return null;
  if (isWindowsMethod(s.method)) return null; // refused by check(): the checks are POSIX scripts
  return {
    checks: resolveChecks(d.health),
    journal: journalOf(s.method, d.name),
    ...(d.verify === 'restart' ? { restart: { mainPid: mainPid(s.method, d.name), delay: s.delay ?? 1 } } : {}),
  };
}
