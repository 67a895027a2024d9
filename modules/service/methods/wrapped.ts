/**
 * What `sysv` and `cron-reboot` share: the respawn wrapper (installed once per host), the
 * service's spec file and state directory, and the wrapper process found through its pid file.
 */
import { changedAttributes } from '../../../src/core/diff.ts';
import { sha256 } from '../../../src/core/json.ts';
import type { AttributeChange, Command, JsonValue } from '../../../src/core/types.ts';
import { REMOVED_VALUE } from '../../systemd_service/diff.ts';
import { ensureOwnedDir, STOP_WRAPPER, writeFile, chownRootGroup } from '../common.ts';
import type { ServiceCurrent } from '../probe.ts';
import { RESPAWN_PATH, RESPAWN_SCRIPT } from '../respawn.ts';
import { settings, type ServiceDesired } from '../schema.ts';
import { flatSpec, parseSpec, pidPath, renderSpec, specPath, stateDir, type SpecModel } from '../spec.ts';

export const SPEC_MODE = '0640';
export const WRAPPER_SHA256 = sha256(RESPAWN_SCRIPT);

export function specModel(d: ServiceDesired): SpecModel {
  const s = settings(d);
  const r = d.restart;
  return {
    command: d.command ?? [],
    ...(d.user === undefined ? {} : { user: d.user }),
    ...(d.group === undefined ? {} : { group: d.group }),
    ...(d.working_directory === undefined ? {} : { working_directory: d.working_directory }),
    environment: s.environment,
    'log.destination': s.log,
    ...(s.log === 'files' ? { 'log.directory': s.logDirectory } : {}),
    'restart.policy': s.policy,
    'restart.delay': s.delay ?? 1,
    ...(r?.backoff ? { 'restart.max_delay': r.backoff.max_delay } : {}),
    'restart.burst': r?.start_limit?.burst ?? 0,
    'restart.interval': r?.start_limit?.interval ?? 0,
  };
}

/** Changes to the spec file, the wrapper and the state directory. */
export function wrappedDiff(d: ServiceDesired, c: ServiceCurrent): AttributeChange[] {
  const changes: AttributeChange[] = [];
  if (c.wrapper_sha256 !== WRAPPER_SHA256) changes.push({ attribute: 'respawn_wrapper', before: c.wrapper_sha256 === null ? undefined : 'outdated', after: RESPAWN_PATH });
  const want = flatSpec(specModel(d));
  if (c.spec === null) {
    for (const [k, v] of Object.entries(want)) changes.push({ attribute: k, before: undefined, after: v });
  } else {
    const have = parseSpec(c.spec);
    changes.push(...changedAttributes(want, have.model));
    for (const k of Object.keys(have.model)) {
      if (!(k in want)) changes.push({ attribute: k, before: k.startsWith('environment.') ? REMOVED_VALUE : have.model[k], after: undefined });
    }
    if (have.unmanaged.length > 0) changes.push({ attribute: 'spec_file.unmanaged_lines', before: have.unmanaged, after: [] });
    if (c.spec_meta && c.spec_meta.mode !== SPEC_MODE) changes.push({ attribute: 'spec_file.mode', before: c.spec_meta.mode, after: SPEC_MODE });
    if (c.spec_meta && c.spec_meta.uid !== 0) changes.push({ attribute: 'spec_file.owner', before: c.spec_meta.owner, after: 'root' });
  }
  if (c.state_dir === null) changes.push({ attribute: 'state_directory', before: undefined, after: stateDir(d.name) });
  return changes;
}

/** Install the wrapper, the state directory and the spec file as the changes say. */
export function wrappedApply(d: ServiceDesired, c: ServiceCurrent, attrs: ReadonlySet<string>): Command[] {
  const commands: Command[] = [];
  if (attrs.has('respawn_wrapper')) commands.push(writeFile(RESPAWN_PATH, RESPAWN_SCRIPT, '0755'));
  if (attrs.has('state_directory')) commands.push(ensureOwnedDir(stateDir(d.name), d));
  const specAttrs = [...attrs].some((a) => a === 'command' || a.startsWith('environment.') || a.startsWith('restart.') || a.startsWith('log.') || a.startsWith('spec_file') || ['user', 'group', 'working_directory'].includes(a));
  if (specAttrs || c.spec === null) {
    commands.push(writeFile(specPath(d.name), renderSpec(d.name, specModel(d)), SPEC_MODE));
    // The wrapper may run as the run account (cron): it must read its spec.
    commands.push(chownRootGroup(specPath(d.name), d));
  }
  return commands;
}

/** Whether the spec changed (a running wrapper must be restarted to read it). */
export function specChanged(attrs: ReadonlySet<string>): boolean {
  return [...attrs].some((a) => a === 'command' || a.startsWith('environment.') || a.startsWith('restart.') || a.startsWith('log.') || ['user', 'group', 'working_directory', 'respawn_wrapper', 'spec_file.unmanaged_lines'].includes(a));
}

export function stopWrapper(d: ServiceDesired): Command {
  return { argv: ['sh', '-c', STOP_WRAPPER, 'sh', pidPath(d.name), specPath(d.name)], label: `stop service ${d.name}` };
}

/** Delete changes for the spec file, state directory and a running wrapper. */
export function wrappedTraces(d: ServiceDesired, c: ServiceCurrent): AttributeChange[] {
  const t: AttributeChange[] = [];
  if (c.wrapper_pid !== null) t.push({ attribute: 'wrapper.process', before: `running (pid ${c.wrapper_pid})`, after: undefined });
  if (c.spec !== null) t.push({ attribute: 'wrapper.spec_file', before: specPath(d.name), after: undefined });
  if (c.state_dir !== null) t.push({ attribute: 'wrapper.state_directory', before: stateDir(d.name), after: undefined });
  return t;
}

export function wrappedRemove(d: ServiceDesired, c: ServiceCurrent): Command[] {
  const commands: Command[] = [];
  if (c.wrapper_pid !== null) commands.push(stopWrapper(d));
  const paths = [...(c.spec !== null ? [specPath(d.name)] : []), ...(c.state_dir !== null ? [stateDir(d.name)] : [])];
  if (paths.length > 0) commands.push({ argv: ['rm', '-rf', '--', ...paths], label: `remove ${paths.join(' ')}` });
  return commands;
}

export const stateChange = (want: 'running' | 'stopped', running: boolean): AttributeChange[] =>
  (want === 'running') === running ? [] : [{ attribute: 'state', before: running ? 'running' : 'stopped', after: want as JsonValue }];
