/**
 * Method `sysv`: an LSB init script /etc/init.d/<name> that starts the respawn wrapper with
 * start-stop-daemon (pid file, run account and restart policy come from the wrapper and the spec
 * file), enabled with update-rc.d. On a systemd host the script is run through systemd's
 * sysv generator: start/stop go through `service`, and systemd re-reads the rc links.
 */
import type { AttributeChange, Command } from '../../../src/core/types.ts';
import { HEADER } from '../../systemd_service/schema.ts';
import { writeFile, type Driver } from '../common.ts';
import { INITD_DIR, type ServiceCurrent } from '../probe.ts';
import { RESPAWN_PATH } from '../respawn.ts';
import { settings, type ServiceDesired } from '../schema.ts';
import { pidPath, specPath } from '../spec.ts';
import { specChanged, stateChange, wrappedApply, wrappedDiff } from './wrapped.ts';

export const initPath = (name: string): string => `${INITD_DIR}/${name}`;

/** The init script. The name is restricted by the schema to [A-Za-z0-9_.-]; descriptions have no control characters. */
export function renderInitScript(d: ServiceDesired): string {
  const net = d.wait_for_network === true ? ' $network' : '';
  const desc = (d.description ?? d.name).replace(/[^\x20-\x7e]/g, '?');
  return `#!/bin/sh
### BEGIN INIT INFO
# Provides:          ${d.name}
# Required-Start:    $remote_fs $syslog${net}
# Required-Stop:     $remote_fs $syslog
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: ${desc}
### END INIT INFO
${HEADER}
PIDFILE=${pidPath(d.name)}
SPEC=${specPath(d.name)}
WRAPPER=${RESPAWN_PATH}
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

do_start() {
\tstart-stop-daemon --start --quiet --background --pidfile "$PIDFILE" --name respawn --startas "$WRAPPER" -- "$SPEC" || return 0
\ti=0; while [ $i -lt 50 ]; do [ -s "$PIDFILE" ] && return 0; sleep 0.1; i=$((i + 1)); done
\techo "${d.name}: the respawn wrapper did not start" >&2; return 1
}

do_stop() {
\tstart-stop-daemon --stop --quiet --pidfile "$PIDFILE" --name respawn --retry TERM/10/KILL/5 --oknodo
\trm -f "$PIDFILE"
}

case "$1" in
\tstart) do_start ;;
\tstop) do_stop ;;
\trestart|force-reload) do_stop; do_start ;;
\tstatus) start-stop-daemon --status --pidfile "$PIDFILE" --name respawn ;;
\t*) echo "Usage: $0 {start|stop|restart|force-reload|status}" >&2; exit 3 ;;
esac
`;
}

/** On a systemd host, systemd must re-read the rc links and the script (sysv generator). */
const RELOAD = 'if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi';
const reload: Command = { argv: ['sh', '-c', RELOAD], label: 'systemctl daemon-reload (sysv generator)' };

/** $1 name, $2 start|stop|restart: through `service` (systemd-aware), so systemd tracks the unit. */
const service = (name: string, verb: 'start' | 'stop' | 'restart'): Command => ({ argv: ['service', name, verb], label: `${verb} service ${name} (sysv)` });

const enabledOf = (c: ServiceCurrent): boolean => c.rc_links.some((l) => /\/rc[2-5]\.d\/S/.test(l));

export const sysvDriver: Driver = {
  method: 'sysv',
  exists: (c) => c.initd !== null && c.initd.includes(HEADER),
  traces(d, c) {
    const t: AttributeChange[] = [];
    if (c.rc_links.length > 0) t.push({ attribute: 'sysv.rc_links', before: [...c.rc_links], after: undefined });
    if (c.initd !== null && c.initd.includes(HEADER)) t.push({ attribute: 'sysv.init_script', before: initPath(d.name), after: undefined });
    return t;
  },
  remove(d, c) {
    if (c.initd === null || !c.initd.includes(HEADER)) return [];
    return [
      { argv: ['sh', '-c', '"$1" stop', 'sh', initPath(d.name)], label: `stop service ${d.name} (sysv)` },
      { argv: ['update-rc.d', '-f', d.name, 'remove'], label: `update-rc.d ${d.name} remove` },
      { argv: ['rm', '-f', '--', initPath(d.name)], label: `remove ${initPath(d.name)}` },
      reload,
    ];
  },
  diff(d, c) {
    const s = settings(d);
    const changes: AttributeChange[] = wrappedDiff(d, c);
    const script = renderInitScript(d);
    if (c.initd !== script) changes.push({ attribute: 'init_script', before: c.initd ?? undefined, after: script });
    const enabled = enabledOf(c);
    if (enabled !== s.enabled) changes.push({ attribute: 'enabled', before: enabled, after: s.enabled });
    changes.push(...stateChange(s.state, c.wrapper_pid !== null));
    return changes;
  },
  apply(d, c, changes) {
    const s = settings(d);
    const attrs = new Set(changes.map((ch) => ch.attribute));
    const commands = wrappedApply(d, c, attrs);
    if (attrs.has('init_script')) commands.push(writeFile(initPath(d.name), renderInitScript(d), '0755'));
    if (attrs.has('init_script') || attrs.has('enabled')) {
      commands.push({ argv: ['update-rc.d', d.name, 'defaults'], label: `update-rc.d ${d.name} defaults` });
      commands.push({ argv: ['update-rc.d', d.name, s.enabled ? 'enable' : 'disable'], label: `update-rc.d ${d.name} ${s.enabled ? 'enable' : 'disable'}` });
      commands.push(reload);
    }
    const isRunning = c.wrapper_pid !== null;
    if (s.state === 'running') {
      if (!isRunning || specChanged(attrs)) commands.push(service(d.name, 'restart'));
    } else if (isRunning) commands.push(service(d.name, 'stop'));
    return commands;
  },
  restart: (d) => [service(d.name, 'restart')],
};
