/** Health checks and restart verification of a systemd_service: its journal and its MainPID. */
import { resolveChecks, type ServiceHealth } from '../../src/core/health.ts';
import { settings, unitFileName, type SystemdServiceDesired } from './schema.ts';

/** Prints systemd's MainPID of a unit (0 while it is not running). */
export function systemdMainPid(unit: string): { argv: string[]; label: string } {
  return { argv: ['systemctl', 'show', '--property=MainPID', '--value', '--', unit], label: `main pid of ${unit}` };
}

export function health(d: SystemdServiceDesired): ServiceHealth | null {
  const s = settings(d);
  if (!s.present || s.state !== 'running' || (!d.health?.length && !d.verify)) return null;
  const unit = unitFileName(d.name);
  return {
    checks: resolveChecks(d.health),
    journal: ['-u', unit],
    ...(d.verify === 'restart' ? { restart: { mainPid: systemdMainPid(unit), delay: s.restart_sec } } : {}),
  };
}
