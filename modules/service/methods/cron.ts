/**
 * Method `cron-reboot`: an @reboot line in the run account's crontab, found again by the marker
 * comment `# provision:service:<name>` at its end; other lines are left untouched. The line runs
 * the respawn wrapper (restart policy) with the service's spec file.
 */
import { shJoin } from '../../../src/core/shell.ts';
import type { AttributeChange, Command } from '../../../src/core/types.ts';
import { chownRef } from '../../file/index.ts';
import type { Driver } from '../common.ts';
import { marker, type ServiceCurrent } from '../probe.ts';
import { RESPAWN_PATH } from '../respawn.ts';
import { settings, type ServiceDesired } from '../schema.ts';
import { pidPath, specPath } from '../spec.ts';
import { specChanged, stateChange, stopWrapper, wrappedApply, wrappedDiff } from './wrapped.ts';

/**
 * cron turns an unescaped "%" into a newline and reads "\%" as "%" and "\\" as "\" (Debian
 * cron's do_command.c): escape both, after shell quoting.
 */
export function cronEscape(command: string): string {
  return command.replace(/[\\%]/g, (c) => `\\${c}`);
}

export function cronLine(name: string): string {
  return `@reboot ${cronEscape(shJoin([RESPAWN_PATH, specPath(name)]))} >/dev/null 2>&1 ${marker(name)}`;
}

/** The crontab owner: the run account (a numeric uid is resolved on the host). */
export const crontabUser = (d: ServiceDesired): string => d.user ?? 'root';

/**
 * $1 user, $2 marker, $3 the line ("" to only remove). Rewrites the user's crontab without the
 * lines ending in the marker, plus the new line; a crontab left empty is removed.
 */
export const EDIT_CRONTAB = [
  'set -e',
  'u=$1',
  'case $u in *[!0-9]*) ;; *) u=$(getent passwd "$u" | cut -d: -f1) ;; esac',
  't=$(mktemp); trap \'rm -f "$t"\' EXIT',
  '{ crontab -u "$u" -l 2>/dev/null || true; } | awk -v m=" $2" \'{ n = length(m); if (length($0) >= n && substr($0, length($0) - n + 1) == m) next; print }\' >"$t"',
  'if [ -n "$3" ]; then printf \'%s\\n\' "$3" >>"$t"; fi',
  'if grep -q . "$t"; then crontab -u "$u" "$t"; else crontab -u "$u" -r 2>/dev/null || true; fi',
].join('\n');

export function editCrontab(user: string, name: string, line: string): Command {
  return { argv: ['sh', '-c', EDIT_CRONTAB, 'sh', user, marker(name), line], label: line === '' ? `remove the @reboot line of ${name} from ${user}'s crontab` : `add the @reboot line of ${name} to ${user}'s crontab` };
}

/** $1 user ("" = root), $2 group, $3 spec: start the wrapper now, detached, as cron would at boot. */
export const START_NOW = [
  'set -e',
  'if [ -n "$1" ]; then g=${2:-$(id -g -- "$1")}; h=$(getent passwd "$1" | cut -d: -f6); l=$(id -un -- "$1")',
  `  setsid -f env -i PATH=/usr/bin:/bin HOME="\${h:-/}" LOGNAME="$l" SHELL=/bin/sh setpriv --reuid="$1" --regid="$g" --init-groups -- ${RESPAWN_PATH} "$3" </dev/null >/dev/null 2>&1`,
  `else setsid -f env -i PATH=/usr/bin:/bin HOME=/root LOGNAME=root SHELL=/bin/sh ${RESPAWN_PATH} "$3" </dev/null >/dev/null 2>&1; fi`,
  // The wrapper writes its pid file as it starts: wait for it, so the next read sees it running.
  'i=0; while [ $i -lt 50 ]; do p=$(cat -- "$4" 2>/dev/null || true); [ -n "$p" ] && kill -0 "$p" 2>/dev/null && exit 0; sleep 0.1; i=$((i + 1)); done',
  'echo "the respawn wrapper did not start" >&2; exit 1',
].join('\n');

function startNow(d: ServiceDesired): Command {
  return { argv: ['sh', '-c', START_NOW, 'sh', d.user === undefined ? '' : chownRef(d.user), d.group === undefined ? '' : chownRef(d.group), specPath(d.name), pidPath(d.name)], label: `start service ${d.name}` };
}

/** The marker lines found, as `<user>: <line>`. */
const found = (c: ServiceCurrent): string[] => c.cron.map((l) => `${l.user}: ${l.line}`);

export const cronDriver: Driver = {
  method: 'cron-reboot',
  exists: (c) => c.cron.length > 0,
  traces(d, c) {
    return c.cron.length > 0 ? [{ attribute: 'cron-reboot.crontab', before: found(c), after: undefined }] : [];
  },
  remove(d, c) {
    const users = [...new Set(c.cron.map((l) => l.user))];
    return [...(c.wrapper_pid !== null ? [stopWrapper(d)] : []), ...users.map((u) => editCrontab(u, d.name, ''))];
  },
  diff(d, c) {
    const s = settings(d);
    const changes: AttributeChange[] = wrappedDiff(d, c);
    const want = s.enabled ? [`${crontabUser(d)}: ${cronLine(d.name)}`] : [];
    const have = found(c);
    if (JSON.stringify(have) !== JSON.stringify(want)) changes.push({ attribute: 'crontab', before: have.length > 0 ? have : undefined, after: want.length > 0 ? want : undefined });
    changes.push(...stateChange(s.state, c.wrapper_pid !== null));
    return changes;
  },
  apply(d, c, changes) {
    const s = settings(d);
    const attrs = new Set(changes.map((ch) => ch.attribute));
    const commands = wrappedApply(d, c, attrs);
    if (attrs.has('crontab')) {
      for (const u of new Set(c.cron.map((l) => l.user))) if (u !== crontabUser(d) || !s.enabled) commands.push(editCrontab(u, d.name, ''));
      if (s.enabled) commands.push(editCrontab(crontabUser(d), d.name, cronLine(d.name)));
    }
    const isRunning = c.wrapper_pid !== null;
    if (s.state === 'running') {
      if (isRunning && specChanged(attrs)) commands.push(stopWrapper(d), startNow(d));
      else if (!isRunning) commands.push(startNow(d));
    } else if (isRunning) commands.push(stopWrapper(d));
    return commands;
  },
  restart: (d) => [stopWrapper(d), startNow(d)],
};

