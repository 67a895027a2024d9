/**
 * `systemd_service`: a service unit written by provision (/etc/systemd/system/<name>.service,
 * variables in a root-only EnvironmentFile=), with automatic daemon-reload, enablement, run
 * state, restarts when its unit or environment changes and when a watched file changes.
 */
import type { AutoEdge, Module } from '../../src/core/types.ts';
import { apply, refresh } from './apply.ts';
import { diff } from './diff.ts';
import { health } from './health.ts';
import { parse, probe, type ServiceCurrent } from './probe.ts';
import { check, schema, type SystemdServiceDesired } from './schema.ts';

export type { ServiceCurrent } from './probe.ts';
export type { SystemdServiceDesired } from './schema.ts';

const numeric = (v: string): boolean => /^[0-9]+$/.test(v);

export const systemdServiceModule: Module<SystemdServiceDesired, ServiceCurrent> = {
  kind: 'systemd_service',
  summary: 'A systemd service unit written by provision, with its environment file, enablement and run state; reloads systemd and restarts the service when they change.',
  platforms: ['linux'],
  schema,
  // Which variables are secrets is known per value (templates marking them): the engine redacts
  // `environment.<KEY>` paths; values being removed are never shown.
  sensitiveAttributes: [],
  publicAttributes: ['health'],
  name: (d) => d.name,
  removal: (d) => ({ name: d.name, ensure: 'absent' }),
  edges(d): AutoEdge[] {
    const edges: AutoEdge[] = [];
    if (d.user !== undefined && !numeric(d.user)) edges.push({ kind: 'user', name: d.user });
    if (d.group !== undefined && !numeric(d.group)) edges.push({ kind: 'group', name: d.group });
    const program = d.exec_start?.[0];
    if (program !== undefined && !(d.watch ?? []).includes(program)) edges.push({ kind: 'file', name: program });
    if (d.working_directory !== undefined) edges.push({ kind: 'directory', name: d.working_directory });
    for (const path of d.watch ?? []) edges.push({ kind: 'file', name: path, notify: true });
    return edges;
  },
  check,
  probe,
  parse: (result, _desired, facts) => parse(result, facts),
  // A restart by systemd itself (Restart=always) changes the PID and sub-state, not the plan.
  stableState: ({ main_pid: _pid, sub_state: _sub, active_state: _active, ...stable }) => stable,
  diff,
  apply,
  refresh,
  health,
};
