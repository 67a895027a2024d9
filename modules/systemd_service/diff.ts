/** The pure comparison of a desired service with what the probe found. */
import { createdAttributes, unchanged } from '../../src/core/diff.ts';
import { jsonEqual } from '../../src/core/json.ts';
import type { AttributeChange, DiffResult, JsonValue } from '../../src/core/types.ts';
import type { ServiceCurrent } from './probe.ts';
import { envPath, settings, unitPath, type SystemdServiceDesired } from './schema.ts';
import { desiredUnit, roundSeconds, sortedEnvironment, UNIT_ATTRIBUTES } from './unit-render.ts';

export const UNIT_MODE = '0644';
export const ENV_MODE = '0600';
export const ROOT_OWNER = '0:0';

/** Shown instead of the old value of a variable that is being removed: it may be a secret nobody marked. */
export const REMOVED_VALUE = '(value not shown)';

/** Attributes whose change means the unit file is rewritten. */
export const UNIT_FILE_ATTRIBUTES: ReadonlySet<string> = new Set([...UNIT_ATTRIBUTES, 'unmanaged_lines']);

/** How the unit's enablement reads in a diff: a boolean, or systemd's word when it is neither. */
export function enabledValue(c: ServiceCurrent): JsonValue {
  if (c.unit_file_state === 'enabled') return true;
  if (c.unit_file_state === 'disabled' || c.unit_file_state === '') return false;
  return c.unit_file_state;
}

export function stateValue(c: ServiceCurrent): string {
  if (c.running) return 'running';
  if (c.sub_state === 'auto-restart') return 'auto-restart'; // crashed, systemd restarts it after RestartSec=
  return c.active_state === 'failed' ? 'failed' : 'stopped';
}

const owner = (m: { uid: number; gid: number }): string => `${m.uid}:${m.gid}`;

function diffAbsent(d: SystemdServiceDesired, c: ServiceCurrent): DiffResult {
  const ours = c.exists || c.fragment_path === unitPath(d.name);
  const changes: AttributeChange[] = [];
  if (ours && c.running) changes.push({ attribute: 'state', before: 'running', after: undefined });
  if (c.exists && c.enabled) changes.push({ attribute: 'enabled', before: true, after: undefined });
  if (c.exists) changes.push({ attribute: 'unit_file', before: unitPath(d.name), after: undefined });
  if (c.env_path === 'file') changes.push({ attribute: 'env_file', before: envPath(d.name), after: undefined });
  if (!c.exists && ours && c.need_daemon_reload) changes.push({ attribute: 'daemon_reload', before: 'needed', after: 'done' });
  return changes.length > 0 ? { status: 'change', action: 'delete', changes } : unchanged(`service ${d.name} is absent`);
}

function diffCreate(d: SystemdServiceDesired): DiffResult {
  const s = settings(d);
  const changes = createdAttributes({
    name: d.name,
    description: d.description,
    exec_start: d.exec_start ? [...d.exec_start] : undefined,
    working_directory: d.working_directory,
    user: d.user,
    group: d.group,
    after: d.after ? [...d.after] : undefined,
    wants: d.wants ? [...d.wants] : undefined,
    type: s.type,
    restart: s.restart,
    restart_sec: roundSeconds(s.restart_sec),
    start_limit_burst: d.start_limit_burst,
    start_limit_interval_sec: d.start_limit_interval_sec,
    ...Object.fromEntries(sortedEnvironment(s.environment).map(([k, v]) => [`environment.${k}`, v])),
    // Only the `service` kind sets these; undefined ones are not shown.
    restart_steps: d.restart_steps,
    restart_max_delay_sec: d.restart_max_delay_sec,
    standard_output: d.standard_output,
    standard_error: d.standard_error,
    no_new_privileges: d.no_new_privileges,
    protect_system: d.protect_system,
    private_tmp: d.private_tmp,
    enabled: s.enabled,
    state: s.state,
  });
  return { status: 'change', action: 'create', changes };
}

/** Per-variable changes between the desired environment and the env file. */
function environmentChanges(want: Readonly<Record<string, string>>, have: Readonly<Record<string, string>>): AttributeChange[] {
  const keys = [...new Set([...Object.keys(want), ...Object.keys(have)])].sort();
  const changes: AttributeChange[] = [];
  for (const k of keys) {
    const after = want[k];
    const before = have[k];
    if (after === before) continue;
    changes.push({ attribute: `environment.${k}`, before: after === undefined ? REMOVED_VALUE : before, after });
  }
  return changes;
}

export function diff(d: SystemdServiceDesired, c: ServiceCurrent): DiffResult {
  const s = settings(d);
  if (!s.present) return diffAbsent(d, c);
  if (!c.exists || c.unit === null) return diffCreate(d);

  const changes: AttributeChange[] = [];
  const want = desiredUnit(d);
  for (const attribute of UNIT_ATTRIBUTES) {
    const after = want[attribute];
    const before = c.unit[attribute];
    if (!jsonEqual(before, after)) changes.push({ attribute, before, after });
  }
  if (c.unmanaged_lines.length > 0) changes.push({ attribute: 'unmanaged_lines', before: [...c.unmanaged_lines], after: [] });
  const unitRewritten = changes.length > 0;
  if (c.unit_file && c.unit_file.mode !== UNIT_MODE) changes.push({ attribute: 'unit_file_mode', before: c.unit_file.mode, after: UNIT_MODE });
  if (c.unit_file && owner(c.unit_file) !== ROOT_OWNER) changes.push({ attribute: 'unit_file_owner', before: owner(c.unit_file), after: ROOT_OWNER });

  changes.push(...environmentChanges(s.environment, c.environment ?? {}));
  if (Object.keys(s.environment).length > 0 && c.env_file) {
    if (c.env_file.mode !== ENV_MODE) changes.push({ attribute: 'env_file_mode', before: c.env_file.mode, after: ENV_MODE });
    if (owner(c.env_file) !== ROOT_OWNER) changes.push({ attribute: 'env_file_owner', before: owner(c.env_file), after: ROOT_OWNER });
  }

  // The file is right but systemd still runs what it loaded before someone edited it.
  if (c.need_daemon_reload && !unitRewritten) changes.push({ attribute: 'daemon_reload', before: 'needed', after: 'done' });
  if (s.enabled !== c.enabled) {
    changes.push({ attribute: 'enabled', before: enabledValue(c), after: s.enabled });
  }
  if ((s.state === 'running') !== c.running) changes.push({ attribute: 'state', before: stateValue(c), after: s.state });

  if (changes.length > 0) return { status: 'change', action: 'update', changes };
  const dropIns = c.drop_in_paths.length > 0 ? ` (drop-ins also apply: ${c.drop_in_paths.join(', ')})` : '';
  return unchanged(`service ${d.name}: unit up to date${dropIns}, ${s.enabled ? 'enabled' : 'disabled'}, ${s.state}`);
}
