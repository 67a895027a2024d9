/**
 * The respawn wrapper: one POSIX sh script provision installs on a host and that gives the
 * `sysv` and `cron-reboot` methods the common restart policy. It reads the service's spec file
 * (spec.ts), runs the program as the run account (setpriv from util-linux when started as root),
 * in its working directory, with its environment and log destination, restarts it per the policy
 * (delay, exponential backoff up to a maximum, start limit: at most `burst` starts within
 * `interval` seconds), writes its own pid to the spec's pid file, refuses to start a second
 * instance, and forwards TERM/INT/HUP to the program before exiting.
 *
 * Exit codes: 0 the program ended and the policy says stay down (or TERM), 75 start limit hit,
 * 78 unreadable spec.
 */

export const RESPAWN_PATH = '/usr/local/lib/provision/respawn';

export const RESPAWN_SCRIPT = `#!/bin/sh
# Managed by provision. Local changes will be overwritten.
# provision respawn wrapper: respawn SPECFILE (see modules/service/respawn.ts)
set -u
spec=\${1:?usage: respawn SPECFILE}
SVC_USER='' SVC_GROUP='' SVC_DIR='' SVC_LOG=none SVC_LOG_DIR='' SVC_RESTART=on-failure SVC_DELAY=1
SVC_MAX_DELAY='' SVC_BURST=0 SVC_INTERVAL=0 SVC_PIDFILE='' SVC_NAME=service
. "$spec" || exit 78
command -v svc_run >/dev/null 2>&1 || { echo "respawn: $spec defines no svc_run" >&2; exit 78; }

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null && tr '\\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q "respawn $spec"; }
if [ -n "$SVC_PIDFILE" ]; then
  old=$(cat "$SVC_PIDFILE" 2>/dev/null || true)
  if [ "$old" != "$$" ] && alive "$old"; then echo "respawn: $SVC_NAME already runs (pid $old)" >&2; exit 0; fi
  echo $$ >"$SVC_PIDFILE" || exit 73
fi

child='' stopping=0
cleanup() { [ -n "$SVC_PIDFILE" ] && [ "$(cat "$SVC_PIDFILE" 2>/dev/null)" = "$$" ] && rm -f "$SVC_PIDFILE"; }
stop() { stopping=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null; }
trap stop TERM INT HUP
trap cleanup EXIT

start_child() {
  (
    trap - TERM INT HUP
    set --
    if [ "$(id -u)" = 0 ] && [ -n "$SVC_USER" ]; then
      g=\${SVC_GROUP:-$(id -gn "$SVC_USER")} || exit 71
      set -- setpriv --reuid="$SVC_USER" --regid="$g" --init-groups --
    fi
    if [ "$SVC_LOG" = journal ] && [ -S /run/systemd/journal/stdout ] && command -v systemd-cat >/dev/null; then
      set -- "$@" systemd-cat -t "$SVC_NAME" --
    fi
    cd "\${SVC_DIR:-/}" || exit 200
    if [ "$SVC_LOG" = files ]; then exec >>"$SVC_LOG_DIR/stdout.log" 2>>"$SVC_LOG_DIR/stderr.log" || exit 73; fi
    svc_run "$@"
  ) </dev/null &
  child=$!
}

delay=$SVC_DELAY starts=''
while :; do
  began=$(date +%s)
  starts="$starts $began"
  start_child
  wait "$child"; rc=$?
  while [ "$stopping" = 1 ] && kill -0 "$child" 2>/dev/null; do wait "$child"; done
  # wait returns >128 when a trapped signal interrupted it: reap and read the real status.
  if kill -0 "$child" 2>/dev/null; then wait "$child"; rc=$?; fi
  child=''
  [ "$stopping" = 1 ] && exit 0
  case $SVC_RESTART in
    never) exit 0 ;;
    on-failure) [ "$rc" = 0 ] && exit 0 ;;
  esac
  now=$(date +%s)
  if [ "$SVC_BURST" -gt 0 ] && [ "$SVC_INTERVAL" -gt 0 ]; then
    kept='' n=0
    for s in $starts; do
      if [ $((now - s)) -lt "$SVC_INTERVAL" ]; then kept="$kept $s"; n=$((n + 1)); fi
    done
    starts=$kept
    if [ "$n" -ge "$SVC_BURST" ]; then
      echo "respawn: $SVC_NAME started $n times within $SVC_INTERVAL s: start limit hit, giving up" >&2
      exit 75
    fi
  fi
  # A run longer than the interval (or 10 s) resets the backoff.
  if [ -n "$SVC_MAX_DELAY" ] && [ $((now - began)) -ge $(( SVC_INTERVAL > 10 ? SVC_INTERVAL : 10 )) ]; then delay=$SVC_DELAY; fi
  echo "respawn: $SVC_NAME exited with status $rc; restarting in $delay s" >&2
  sleep "$delay" & wait $! || true
  [ "$stopping" = 1 ] && exit 0
  if [ -n "$SVC_MAX_DELAY" ]; then
    delay=$(awk -v d="$delay" -v m="$SVC_MAX_DELAY" 'BEGIN { d = (d > 0 ? d * 2 : 1); if (d > m) d = m; print d }')
  fi
done
`;
