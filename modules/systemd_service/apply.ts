/**
 * Turning a decided diff into commands: files are written atomically (temp file in the same
 * directory from stdin, chmod, chown, rename), then systemd reloads, then enablement, then the
 * run state. Every value travels as an argv element or on stdin.
 */
import { atomicWrite } from '../../src/core/atomic-write.ts';
import type { Command, DiffResult } from '../../src/core/types.ts';
import { ENV_MODE, ROOT_OWNER, UNIT_FILE_ATTRIBUTES, UNIT_MODE } from './diff.ts';
import type { ServiceCurrent } from './probe.ts';
import { ENV_DIR, envPath, settings, unitFileName, unitPath, type SystemdServiceDesired } from './schema.ts';
import { renderEnvFile, renderUnit } from './unit-render.ts';

/** $1 = path, $2 = mode; the content is stdin. A failed write leaves the old file in place. */
/** $1 = directory: created if missing, and only root may enter it (env files hold secrets). */
export const ENSURE_ENV_DIR = 'set -e; mkdir -p -- "$1"; chown 0:0 -- "$1"; chmod 0700 -- "$1"';

function writeFile(path: string, content: string, mode: string): Command {
  return atomicWrite(path, content, { owner: '0', group: '0', mode });
}

export function systemctl(verb: 'daemon-reload' | 'enable' | 'disable' | 'start' | 'stop' | 'restart', name?: string): Command {
  if (name === undefined) return { argv: ['systemctl', verb], label: `systemctl ${verb}` };
  return { argv: ['systemctl', verb, '--', unitFileName(name)], label: `${verb} service ${name}` };
}

function applyDelete(d: SystemdServiceDesired, attrs: ReadonlySet<string>): Command[] {
  const commands: Command[] = [];
  if (attrs.has('state')) commands.push(systemctl('stop', d.name));
  if (attrs.has('enabled')) commands.push(systemctl('disable', d.name));
  const files = [...(attrs.has('unit_file') ? [unitPath(d.name)] : []), ...(attrs.has('env_file') ? [envPath(d.name)] : [])];
  if (files.length > 0) commands.push({ argv: ['rm', '-f', '--', ...files], label: `remove ${files.join(' ')}` });
  if (attrs.has('unit_file') || attrs.has('daemon_reload')) commands.push(systemctl('daemon-reload'));
  return commands;
}

export function apply(d: SystemdServiceDesired, c: ServiceCurrent, diff: DiffResult & { status: 'change' }): Command[] {
  const attrs = new Set(diff.changes.map((ch) => ch.attribute));
  if (diff.action === 'delete') return applyDelete(d, attrs);

  const s = settings(d);
  const create = diff.action === 'create';
  const hasEnv = Object.keys(s.environment).length > 0;
  const envChanged = create || [...attrs].some((a) => a.startsWith('environment.'));
  const writeUnit = create || [...attrs].some((a) => UNIT_FILE_ATTRIBUTES.has(a));
  const writeEnv = hasEnv && envChanged;
  const removeEnv = !hasEnv && envChanged && c.env_path === 'file';
  const commands: Command[] = [];

  if (writeEnv) {
    commands.push({ argv: ['sh', '-c', ENSURE_ENV_DIR, 'sh', ENV_DIR], label: `ensure directory ${ENV_DIR}` });
    commands.push(writeFile(envPath(d.name), renderEnvFile(s.environment), ENV_MODE));
  } else {
    if (attrs.has('env_file_mode')) commands.push({ argv: ['chmod', ENV_MODE, '--', envPath(d.name)], label: `chmod ${ENV_MODE} ${envPath(d.name)}` });
    if (attrs.has('env_file_owner')) commands.push({ argv: ['chown', ROOT_OWNER, '--', envPath(d.name)], label: `chown ${ROOT_OWNER} ${envPath(d.name)}` });
  }
  if (removeEnv) commands.push({ argv: ['rm', '-f', '--', envPath(d.name)], label: `remove ${envPath(d.name)}` });
  if (writeUnit) {
    commands.push(writeFile(unitPath(d.name), renderUnit(d), UNIT_MODE));
  } else {
    if (attrs.has('unit_file_mode')) commands.push({ argv: ['chmod', UNIT_MODE, '--', unitPath(d.name)], label: `chmod ${UNIT_MODE} ${unitPath(d.name)}` });
    if (attrs.has('unit_file_owner')) commands.push({ argv: ['chown', ROOT_OWNER, '--', unitPath(d.name)], label: `chown ${ROOT_OWNER} ${unitPath(d.name)}` });
  }

  const reload = writeUnit || c.need_daemon_reload;
  if (reload) commands.push(systemctl('daemon-reload'));
  if (s.enabled !== c.enabled) commands.push(systemctl(s.enabled ? 'enable' : 'disable', d.name));

  // What runs must be what the files now say: a running service restarts after any change to
  // its unit or environment, or after a reload that was pending.
  const configChanged = writeUnit || writeEnv || removeEnv || reload;
  if (s.state === 'running') {
    if (c.running && configChanged) commands.push(systemctl('restart', d.name));
    else if (!c.running) commands.push(systemctl('start', d.name));
  } else if (c.running) {
    commands.push(systemctl('stop', d.name));
  }
  return commands;
}

/**
 * A watched file changed: restart, unless the service should not run or its own apply
 * already starts or restarts it.
 */
export function refresh(d: SystemdServiceDesired, c: ServiceCurrent, ownDiff: DiffResult): { reason: string; commands: readonly Command[] } | null {
  const s = settings(d);
  if (!s.present || s.state !== 'running') return null;
  if (ownDiff.status === 'change') {
    const own = apply(d, c, ownDiff);
    const restarting = own.some((cmd) => cmd.argv[0] === 'systemctl' && (cmd.argv[1] === 'restart' || cmd.argv[1] === 'start'));
    if (restarting) return null;
  }
  return { reason: 'notified by a change', commands: [systemctl('restart', d.name)] };
}
