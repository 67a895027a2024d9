/** Commands and helpers the method drivers share. Values reach the shell only as argv or stdin. */
import { atomicWrite } from '../../src/core/atomic-write.ts';
import type { AttributeChange, Command } from '../../src/core/types.ts';
import { chownRef } from '../file/index.ts';
import type { ServiceCurrent } from './probe.ts';
import type { LinuxMethod, ServiceDesired } from './schema.ts';

/** A method driver: how one autostart method registers, diffs, applies and removes a service. */
export interface Driver {
  readonly method: LinuxMethod;
  /** Delete changes for what this method left on the host ([] when nothing is there). */
  traces(d: ServiceDesired, c: ServiceCurrent): AttributeChange[];
  /** Stop the service as this method runs it and remove its registration. */
  remove(d: ServiceDesired, c: ServiceCurrent): Command[];
  /** Changes needed for the service to be registered and in its state with this method. */
  diff(d: ServiceDesired, c: ServiceCurrent): AttributeChange[];
  /** Whether any registration of this method exists (a create vs an update). */
  exists(c: ServiceCurrent): boolean;
  apply(d: ServiceDesired, c: ServiceCurrent, changes: readonly AttributeChange[]): Command[];
  /** Restart a running service (a watched path changed). */
  restart(d: ServiceDesired): Command[];
}

/** A root-owned file, its directory created when missing. */
export function writeFile(path: string, content: string, mode: string): Command {
  return atomicWrite(path, content, { owner: '0', group: '0', mode, createParent: true });
}

/** root:<the run group>, resolved on the host when only the user is known. */
export const CHOWN_ROOT_GROUP = 'set -e; g=${3:-}; if [ -z "$g" ] && [ -n "$2" ]; then g=$(id -g -- "$2"); fi; chown -- "0:${g:-0}" "$1"';

export function chownRootGroup(path: string, d: ServiceDesired): Command {
  return { argv: ['sh', '-c', CHOWN_ROOT_GROUP, 'sh', path, d.user === undefined ? '' : chownRef(d.user), d.group === undefined ? '' : chownRef(d.group)], label: `set ownership of ${path}` };
}

/** A directory owned by the run account (user and its group), mode 0755. */
export const ENSURE_OWNED_DIR = 'set -e; mkdir -p -- "$1"; u=${2:-0}; g=${3:-}; if [ -z "$g" ]; then g=$(id -g -- "$u"); fi; chown -- "$u:$g" "$1"; chmod 0755 -- "$1"';

export function ensureOwnedDir(path: string, d: ServiceDesired): Command {
  return { argv: ['sh', '-c', ENSURE_OWNED_DIR, 'sh', path, d.user === undefined ? '' : chownRef(d.user), d.group === undefined ? '' : chownRef(d.group)], label: `ensure directory ${path}` };
}

/** $1 pid file, $2 spec path: TERM the respawn wrapper of that spec (it forwards TERM), wait, then KILL. */
export const STOP_WRAPPER = [
  'p=$(cat -- "$1" 2>/dev/null) || exit 0',
  '[ -n "$p" ] && tr "\\0" " " <"/proc/$p/cmdline" 2>/dev/null | grep -q -F "respawn $2" || { rm -f -- "$1"; exit 0; }',
  'kill -TERM "$p" 2>/dev/null',
  'i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done',
  'kill -0 "$p" 2>/dev/null && kill -KILL "$p"',
  'rm -f -- "$1"',
  'exit 0',
].join('\n');

/** The account a service runs as, for display. */
export const runAccount = (d: ServiceDesired): string => d.user ?? 'root';

export const running = (c: boolean): string => (c ? 'running' : 'stopped');
