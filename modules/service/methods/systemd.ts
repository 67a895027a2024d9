/**
 * Method `systemd`: the common model mapped onto systemd_service's unit model, so rendering,
 * parsing, diff and apply (daemon-reload, enable, restart) are that module's own code.
 */
import type { AttributeChange, DiffResult } from '../../../src/core/types.ts';
import { apply as systemdApply, systemctl } from '../../systemd_service/apply.ts';
import { diff as systemdDiff } from '../../systemd_service/diff.ts';
import type { SystemdServiceDesired } from '../../systemd_service/schema.ts';
import type { Driver } from '../common.ts';
import type { ServiceCurrent } from '../probe.ts';
import { settings, type ServiceDesired } from '../schema.ts';

export const NETWORK_ONLINE = 'network-online.target';
/** RestartSteps= and RestartMaxDelaySec= appeared in systemd 254. */
export const BACKOFF_SYSTEMD = 254;

/** How the backoff maps onto this host's systemd: natively, left out (opted in), or refused. */
export function backoffSupport(d: ServiceDesired, version: number | null): 'native' | 'none' | 'downgraded' | 'refused' {
  if (!d.restart?.backoff) return 'none';
  if (version !== null && version >= BACKOFF_SYSTEMD) return 'native';
  return d.restart.allow_downgrade === true ? 'downgraded' : 'refused';
}

export function toSystemd(d: ServiceDesired, version: number | null): SystemdServiceDesired {
  const s = settings(d);
  const r = d.restart;
  const native = backoffSupport(d, version) === 'native';
  const net = d.wait_for_network === true ? [NETWORK_ONLINE] : undefined;
  const h = d.hardening ?? {};
  return {
    name: d.name,
    ensure: s.present ? 'present' : 'absent',
    ...(d.description === undefined ? {} : { description: d.description }),
    ...(d.command === undefined ? {} : { exec_start: d.command }),
    ...(d.working_directory === undefined ? {} : { working_directory: d.working_directory }),
    environment: s.environment,
    ...(d.user === undefined ? {} : { user: d.user }),
    ...(d.group === undefined ? {} : { group: d.group }),
    ...(net ? { after: net, wants: net } : {}),
    restart: s.policy === 'never' ? 'no' : s.policy,
    restart_sec: s.delay ?? 1,
    ...(r?.start_limit ? { start_limit_burst: r.start_limit.burst, start_limit_interval_sec: r.start_limit.interval } : {}),
    ...(native && r?.backoff ? { restart_steps: r.backoff.steps ?? 5, restart_max_delay_sec: r.backoff.max_delay } : {}),
    ...(s.log === 'files' ? { standard_output: `append:${s.logDirectory}/stdout.log`, standard_error: `append:${s.logDirectory}/stderr.log` } : {}),
    ...(h.no_new_privileges === undefined ? {} : { no_new_privileges: h.no_new_privileges }),
    ...(h.protect_system === undefined ? {} : { protect_system: h.protect_system }),
    ...(h.private_tmp === undefined ? {} : { private_tmp: h.private_tmp }),
    enabled: s.enabled,
    state: s.state,
  };
}

const absentOf = (d: ServiceDesired): SystemdServiceDesired => ({ name: d.name, ensure: 'absent' });

/** systemd_service's changes for removing the unit, under "systemd." names. */
function removal(d: ServiceDesired, c: ServiceCurrent): DiffResult {
  // Only a unit provision wrote is removed: a unit of a package (/lib/systemd/system) is not ours.
  return systemdDiff(absentOf(d), c.systemd);
}

export const systemdDriver: Driver = {
  method: 'systemd',
  exists: (c) => c.systemd.exists,
  traces(d, c) {
    const r = removal(d, c);
    return r.status === 'change' ? r.changes.map((ch) => ({ ...ch, attribute: `systemd.${ch.attribute}` })) : [];
  },
  remove(d, c) {
    const r = removal(d, c);
    return r.status === 'change' ? systemdApply(absentOf(d), c.systemd, r) : [];
  },
  diff(d, c) {
    const r = systemdDiff(toSystemd(d, c.systemd_version), c.systemd);
    const changes: AttributeChange[] = r.status === 'change' ? [...r.changes] : [];
    const backoff = backoffSupport(d, c.systemd_version);
    if (backoff === 'refused') {
      changes.push({ attribute: 'restart.backoff', before: `systemd ${c.systemd_version ?? 'absent'}`, after: `refused: RestartSteps= needs systemd ${BACKOFF_SYSTEMD} or newer (set restart.allow_downgrade: true to use a fixed delay)` });
    }
    return changes;
  },
  apply(d, c, changes) {
    if (changes.some((ch) => ch.attribute === 'restart.backoff' && typeof ch.after === 'string' && ch.after.startsWith('refused'))) {
      const msg = `service ${d.name}: restart.backoff needs systemd ${BACKOFF_SYSTEMD} or newer (RestartSteps=, RestartMaxDelaySec=); this host has systemd ${c.systemd_version ?? 'absent'}. Set restart.allow_downgrade: true to run it with a fixed restart delay, or remove restart.backoff.`;
      return [{ argv: ['sh', '-c', 'printf "%s\\n" "$1" >&2; exit 1', 'sh', msg], label: `refuse restart.backoff on systemd ${c.systemd_version ?? 'absent'}` }];
    }
    const want = toSystemd(d, c.systemd_version);
    const r = systemdDiff(want, c.systemd);
    return r.status === 'change' ? systemdApply(want, c.systemd, r) : [];
  },
  restart: (d) => [systemctl('restart', d.name)],
};
