#!/usr/bin/env bash
# hosts.sh — provision's end-to-end test hosts: throw-away Debian 12 hosts (real systemd
# as PID 1 + real sshd) booted with systemd-nspawn on one shared, read-only, cached
# debootstrap base. Adapted from the shared reference harness (see its README gotchas).
#
#   hosts.sh up N             ensure hosts 1..N are running (extra ones are stopped), wait
#                             until each accepts an ssh login as root, print the table
#   hosts.sh down             stop every host, remove mounts/netns/veths/cgroups/state
#   hosts.sh status           show what is running
#   hosts.sh ssh I [cmd...]   ssh into host I as root (strict host key checking)
#   hosts.sh exec I cmd...    run cmd inside host I without ssh (nsenter into its PID 1's
#                             namespaces); passes stdout/stderr and the exit code through;
#                             exits 125 with an "[hosts.sh ...] ERROR:" line if I is not running
#   hosts.sh reboot I         `systemctl reboot` inside host I; returns once ssh answers again
#                             from a new PID 1 and the boot has finished
#
# Each host: own netns + veth on bridge ${PREFIX}br0, address ${NET}.$((10+I)), sshd on
# port 22, own overlayfs upper dir (isolated writes), own ssh host key, own
# machine-id/hostname. Outputs in $STATE: hosts.json, hosts.tsv, known_hosts, ssh_config.
# `reboot` inside a host works (the wrapper restarts nspawn on exit code 133).
#
# Env knobs (defaults): TESTHOSTS_CACHE=/var/cache/provision-testhosts
#   TESTHOSTS_STATE=/tmp/provision-testhosts/state  TESTHOSTS_NET=10.77.0  TESTHOSTS_PREFIX=th
#   TESTHOSTS_SUITE=bookworm  TESTHOSTS_MIRROR=(the machine's own apt mirror)
#   TESTHOSTS_EXTRA_PACKAGES="" (baked into the base on top of the default list)
#   TESTHOSTS_BOOT_TIMEOUT=180  TESTHOSTS_NAT=0 (1: masquerade the bridge so hosts reach the
#   mirror; needs nft or iptables)  TESTHOSTS_KEEP=0 (1: keep upper dirs on down, for debugging)
set -eEuo pipefail   # (-E: the ERR trap below also fires inside functions and subshells)
trap 'rc=$?; log "ERROR: line $LINENO: $BASH_COMMAND (exit $rc)"' ERR   # never fail silently

CACHE=${TESTHOSTS_CACHE:-/var/cache/provision-testhosts}
STATE=${TESTHOSTS_STATE:-/tmp/provision-testhosts/state}
NET=${TESTHOSTS_NET:-10.77.0}
PREFIX=${TESTHOSTS_PREFIX:-th}
SUITE=${TESTHOSTS_SUITE:-bookworm}
apt_mirror() { # the Debian mirror this machine's apt already uses
  { awk '/^URIs:/{print $2}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true
    awk '$1=="deb"{print ($2 ~ /^\[/ ? $3 : $2)}' /etc/apt/sources.list 2>/dev/null || true
  } | awk '!/security/ && !done {print; done=1}'   # (no `head`: SIGPIPE+pipefail; files may be missing)
}
EXTRA=${TESTHOSTS_EXTRA_PACKAGES:-}
BOOT_TIMEOUT=${TESTHOSTS_BOOT_TIMEOUT:-180}
BR=${PREFIX}br0
CG=/sys/fs/cgroup
CGNAME=provision-testhosts                 # our own subtree in each hierarchy
CGHIER=()                                   # cgroup hierarchies we track hosts in
[ -d $CG/systemd ] && CGHIER+=("$CG/systemd")   # v1 named hierarchy (hybrid hosts)
[ -d $CG/unified ] && CGHIER+=("$CG/unified")   # v2 in hybrid mode
[ -f $CG/cgroup.controllers ] && CGHIER=("$CG")  # pure v2 host
KEY=$CACHE/id_ed25519
SELF=${BASH_SOURCE[0]}; [[ "$SELF" == /* ]] || SELF=$PWD/$SELF
BASE_REV=2        # bump when customize_base changes (re-customises a copy of the raw tree)
PKGS="systemd,systemd-sysv,dbus,libpam-systemd,openssh-server,acl,cron,sudo,iproute2,procps,less,supervisor"
[ -n "$EXTRA" ] && PKGS="$PKGS,${EXTRA// /,}"
base_vars() { # (only `up` needs these; exec/reboot/down stay cheap)
  MIRROR=${TESTHOSTS_MIRROR:-$(apt_mirror)}
  RAW_ID=$(printf '%s\n' "$SUITE" "$PKGS" | sha256sum | cut -c1-12)
  RAW=$CACHE/debootstrap-$SUITE-$RAW_ID       # plain debootstrap output (kept: rebuilding it is slow)
  BASE_ID=$(printf '%s\n' "$RAW_ID" "$BASE_REV" | sha256sum | cut -c1-12)
  BASE=$CACHE/base-$SUITE-$BASE_ID            # customised copy, read-only lower dir of every host
}

log() { printf '[hosts.sh %(%T)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit "${DIE_RC:-1}"; }
# time in microseconds without forking (the wait loops run often, on a machine busy booting hosts)
now_us() { NOW_US=${EPOCHREALTIME//[!0-9]/}; }
since() { local d; now_us; d=$((NOW_US - $1)); printf '%d.%d' $((d / 1000000)) $((d % 1000000 / 100000)); }
timed_out() { now_us; (( NOW_US - $1 > BOOT_TIMEOUT * 1000000 )); }
port_open() { { : <>"/dev/tcp/$1/22"; } 2>/dev/null; }   # in-process TCP probe (no fork)
name_of() { echo "$PREFIX$1"; }
ip_of() { echo "$NET.$((10 + $1))"; }

need_root_and_tools() { # $@ = tools needed
  [ "$EUID" = 0 ] || die "must run as root"
  local t; for t in "$@"; do
    command -v "$t" >/dev/null || die "missing tool: $t (apt-get install debootstrap systemd-container openssh-client iproute2 util-linux)"
  done
}

# ---------------------------------------------------------------- base image
customize_base() {
  local r=$1
  : > "$r/etc/machine-id"                       # set per host at start
  rm -f "$r/var/lib/dbus/machine-id"; ln -s /etc/machine-id "$r/var/lib/dbus/machine-id"
  rm -f "$r"/etc/ssh/ssh_host_*                 # generated per host at start
  echo localhost > "$r/etc/hostname"            # debootstrap copied the build machine's name
  cat > "$r/etc/ssh/sshd_config.d/testhosts.conf" <<'EOF'
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
MaxStartups 200:30:400
MaxSessions 100
EOF
  local u
  for u in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
           fstrim.timer e2scrub_reap.service systemd-pstore.service console-getty.service \
           getty@tty1.service; do
    ln -sf /dev/null "$r/etc/systemd/system/$u"
  done
  # generators for disks, kernel command lines, consoles and offline updates have nothing to do
  # in a container; each still costs an exec per boot (and several hosts boot at once)
  mkdir -p "$r/etc/systemd/system-generators"
  for u in cryptsetup gpt-auto hibernate-resume integritysetup veritysetup getty system-update debug run; do
    ln -sf /dev/null "$r/etc/systemd/system-generators/systemd-$u-generator"
  done
  printf 'LANG=C.UTF-8\n' > "$r/etc/default/locale"
}

ensure_base() { # raw debootstrap tree (slow, cached per suite+packages) -> customised base (fast)
  [ -f "$BASE.ready" ] && return 0
  mkdir -p "$CACHE"
  exec 8>"$CACHE/.build.lock"; flock 8
  local t0; now_us; t0=$NOW_US
  if [ ! -f "$RAW.ready" ]; then
    local tmp=$CACHE/.debootstrap-$RAW_ID
    rm -rf "$tmp"
    log "debootstrap $SUITE ($PKGS) -> $RAW (one-time, 1-5 min)"
    if ! debootstrap --variant=minbase --include="$PKGS" "$SUITE" "$tmp" "$MIRROR" >"$CACHE/debootstrap-$RAW_ID.log" 2>&1; then
      tail -20 "$CACHE/debootstrap-$RAW_ID.log" >&2; die "debootstrap failed (log: $CACHE/debootstrap-$RAW_ID.log)"
    fi
    rm -f "$tmp"/var/cache/apt/archives/*.deb
    rm -rf "$RAW"; mv "$tmp" "$RAW"; touch "$RAW.ready"
    log "debootstrap done in $(since "$t0")s"
  fi
  if [ ! -f "$BASE.ready" ]; then
    local tmp=$CACHE/.build-$BASE_ID
    rm -rf "$tmp"; cp -a --reflink=auto "$RAW" "$tmp"
    customize_base "$tmp"
    rm -rf "$BASE"; mv "$tmp" "$BASE"; touch "$BASE.ready"
    log "base ready in $(since "$t0")s, $(du -sh "$BASE" | cut -f1) ($BASE)"
  fi
  flock -u 8; exec 8>&-
}

ensure_key() {
  mkdir -p "$CACHE"
  [ -f "$KEY" ] || ssh-keygen -q -t ed25519 -N '' -C testhosts -f "$KEY"
  [ -f "$CACHE/id_rsa" ] || ssh-keygen -q -t rsa -b 3072 -m PEM -N '' -C testhosts -f "$CACHE/id_rsa"
}

# Every container's systemd (PID 1 + one `systemd --user` per login) needs inotify instances,
# and without user namespaces they are all charged to host uid 0: the default of 128
# makes containers 'degraded' (user@0.service: "Too many open files") from ~8 hosts on.
tune_kernel() {
  local k v cur
  for kv in fs.inotify.max_user_instances=8192 fs.inotify.max_user_watches=1048576; do
    k=${kv%=*}; v=${kv#*=}; cur=$(sysctl -n "$k")
    [ "$cur" -ge "$v" ] || sysctl -qw "$k=$v"
  done
}

# ---------------------------------------------------------------- network
ensure_bridge() {
  # Another interface already on $NET.0/24 (another harness run with another prefix, a VPN, a
  # docker bridge) would make routing to the hosts ambiguous: refuse, naming it.
  local other
  other=$(ip -4 -o addr show | awk -v net="$NET." -v br="$BR" '$2 != br && index($4, net) == 1 { print $2; exit }')
  if [ -n "$other" ]; then
    die "subnet $NET.0/24 is already used by interface $other; pick another with TESTHOSTS_NET"
  fi
  if ! ip link show "$BR" >/dev/null 2>&1; then ip link add "$BR" type bridge; fi
  local addrs; addrs=$(ip -4 -o addr show dev "$BR")   # (no `| grep -q`: SIGPIPE+pipefail)
  [[ "$addrs" == *"inet $NET.1/"* ]] || ip addr add "$NET.1/24" dev "$BR"
  ip link set "$BR" up
  if [ "${TESTHOSTS_NAT:-0}" = 1 ]; then
    [ -f "$STATE/.ip_forward_orig" ] || cat /proc/sys/net/ipv4/ip_forward > "$STATE/.ip_forward_orig"
    sysctl -qw net.ipv4.ip_forward=1
    if command -v nft >/dev/null; then
      nft list table ip provision_testhosts >/dev/null 2>&1 || nft -f - <<EOF
table ip provision_testhosts {
  chain post { type nat hook postrouting priority 100; ip saddr $NET.0/24 ip daddr != $NET.0/24 masquerade; }
}
EOF
    elif command -v iptables >/dev/null; then
      iptables -t nat -C POSTROUTING -s "$NET.0/24" ! -d "$NET.0/24" -j MASQUERADE 2>/dev/null ||
        iptables -t nat -A POSTROUTING -s "$NET.0/24" ! -d "$NET.0/24" -j MASQUERADE
    else log "TESTHOSTS_NAT=1 but neither nft nor iptables installed; hosts stay offline"; fi
  fi
}

setup_netns() { # few execs: with several hosts starting on a busy machine every fork counts
  local i=$1 n=$PREFIX$1
  ip -batch - <<EOF
netns add $n
link add ${n}h type veth peer name host0 netns $n
link set ${n}h master $BR up
EOF
  ip -n "$n" -batch - <<EOF
link set lo up
addr add $NET.$((10 + i))/24 dev host0
link set host0 up
route add default via $NET.1
EOF
}

# ---------------------------------------------------------------- one host
hostdir() { echo "$STATE/$(name_of "$1")"; }
alive() { [ -n "${1:-}" ] && [ -d "/proc/$1" ] && kill -0 "$1" 2>/dev/null; }
wrapper_pid() { # pid of our wrapper for host $1 if it is alive and really ours
  local f p; f="$(hostdir "$1")/wrapper.pid"; [ -f "$f" ] || return 1
  p=$(cat "$f"); alive "$p" || return 1
  [[ "$(tr '\0' ' ' < "/proc/$p/cmdline")" == *"_run $1 "* ]] || return 1
  echo "$p"
}
nspawn_pid() { # pid of the host's systemd-nspawn if alive and really ours
  local f p; f="$(hostdir "$1")/nspawn.pid"; [ -f "$f" ] || return 1
  p=$(cat -- "$f" 2>/dev/null) && alive "$p" || return 1   # (the file may vanish as nspawn exits)
  [[ "$(tr '\0' ' ' < "/proc/$p/cmdline")" == *"systemd-nspawn "*"--machine=$(name_of "$1") "* ]] || return 1
  echo "$p"
}
leader_pid() { # container PID 1 (systemd) as seen from here
  local f=$STATE/$PREFIX$1/nspawn.pid np c kids; [ -f "$f" ] || return 1
  read -r np < "$f" && alive "$np" || return 1
  read -r kids < "/proc/$np/task/$np/children" 2>/dev/null || kids=$(pgrep -P "$np") || return 1
  for c in $kids; do   # the child of nspawn in another PID namespace
    if [ -e "/proc/$c/ns/pid" ] && ! [ "/proc/$c/ns/pid" -ef /proc/self/ns/pid ]; then echo "$c"; return 0; fi
  done; return 1
}
cg_pids() { # every pid in the host's cgroup subtree
  local n; n=$(name_of "$1")
  find "${CGHIER[0]}/$CGNAME/$n" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -un
}

prepare_host() { # (cmd_up has cleaned up whatever an earlier host $1 left)
  local i=$1 n=$PREFIX$1 ip=$NET.$((10 + $1)) d r kp kt kb h; d=$STATE/$n; r=$d/root
  mkdir -p "$d/upper" "$d/work" "$r"
  mount -t overlay "overlay-$n" -o "lowerdir=$BASE,upperdir=$d/upper,workdir=$d/work" "$r"
  echo "$BASE" > "$d/base"
  echo "$n" > "$r/etc/hostname"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$n" > "$r/etc/hosts"
  printf '%08x%08x%08x%08x\n' "$SRANDOM" "$SRANDOM" "$SRANDOM" "$SRANDOM" > "$r/etc/machine-id"
  ssh-keygen -q -t ecdsa -N '' -C "$n" -f "$r/etc/ssh/ssh_host_ecdsa_key" & kp=$!
  ssh-keygen -q -t ed25519 -N '' -C "$n" -f "$r/etc/ssh/ssh_host_ed25519_key"
  wait "$kp"
  mkdir -p "$r/root/.ssh"; chmod 700 "$r/root/.ssh"
  cat "$KEY.pub" "$CACHE/id_rsa.pub" > "$r/root/.ssh/authorized_keys"; chmod 600 "$r/root/.ssh/authorized_keys"
  read -r kt kb _ < "$r/etc/ssh/ssh_host_ed25519_key.pub"
  echo "$ip $kt $kb" > "$d/known_host"        # strict host key checking from the first login on
  setup_netns "$i"
  for h in "${CGHIER[@]}"; do mkdir -p "$h/$CGNAME/$n"; done
}

boot_host() { # $1=i $2=t0 ; prepare, start the detached wrapper, wait for ssh (hosts boot in parallel)
  local i=$1 t0=$2 d=$STATE/$PREFIX$1
  prepare_host "$i"
  setsid bash "$SELF" _run "$i" </dev/null >>"$d/console.log" 2>&1 8>&- 9>&- &
  wait_ssh "$i" "$t0" > "$d/ssh_ready"
}

# Runs detached (setsid) as the supervisor of one container; restarts nspawn when the
# container reboots (nspawn exit code 133); exits on SIGTERM after an orderly shutdown.
run_host() {
  local i=$1 d n h fd rc=0 stop=0 npid=""; d=$(hostdir "$i"); n=$(name_of "$i")
  for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null; done  # no inherited locks/pipes
  for h in "${CGHIER[@]}"; do echo $$ > "$h/$CGNAME/$n/cgroup.procs"; done
  echo $$ > "$d/wrapper.pid"
  trap 'stop=1; [ -n "$npid" ] && kill -TERM "$npid" 2>/dev/null' TERM INT HUP
  while :; do
    echo "[hosts.sh] $(date +%T.%N) starting nspawn for $n"
    SYSTEMD_NSPAWN_TMPFS_TMP=0 systemd-nspawn --quiet --boot --register=no --keep-unit \
      --settings=no --link-journal=no --console=read-only \
      --machine="$n" --hostname="$n" --directory="$d/root" \
      --network-namespace-path="/run/netns/$n" </dev/null &
    npid=$!; echo "$npid" > "$d/nspawn.pid"
    while :; do wait "$npid" && rc=0 || rc=$?; alive "$npid" || break; done
    echo "[hosts.sh] $(date +%T.%N) nspawn exited rc=$rc"
    [ "$stop" = 0 ] && [ "$rc" = 133 ] || break
  done
  rm -f "$d/nspawn.pid"; echo "$rc" > "$d/exit.code"
}

host_ssh() { # $1=i, rest: remote command ; batch ssh with strict host key checking
  local i=$1; shift
  ssh -q -i "$KEY" -o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=2 \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$(hostdir "$i")/known_host" \
    -o LogLevel=ERROR "root@$(ip_of "$i")" "$@" </dev/null
}

wait_ssh() { # $1=i $2=t0 ; prints seconds-to-ssh or fails
  local i=$1 t0=$2 ip=$NET.$((10 + $1)) d=$STATE/$PREFIX$1 w= k
  for ((k = 0; k < 200; k++)); do [ -s "$d/wrapper.pid" ] && read -r w < "$d/wrapper.pid" && break; sleep 0.05; done
  [ -n "$w" ] || { echo "wrapper did not start"; return 1; }
  while :; do
    if port_open "$ip" && host_ssh "$i" true 2>/dev/null; then since "$t0"; return 0; fi
    [ -d "/proc/$w" ] || { echo "died"; return 1; }
    timed_out "$t0" && { echo "timeout"; return 1; }
    sleep 0.1
  done
}

stop_hosts() { # $@ = indices ; orderly shutdown, then SIGKILL what is left (our cgroup only)
  local i p deadline left
  for i in "$@"; do   # SIGTERM -> nspawn -> SIGRTMIN+3 to the container's systemd = clean halt
    if p=$(wrapper_pid "$i"); then kill -TERM "$p" 2>/dev/null || true
    elif p=$(nspawn_pid "$i"); then kill -TERM "$p" 2>/dev/null || true; fi   # wrapper was killed
  done
  deadline=$(( $(date +%s) + 30 ))
  while :; do
    left=0; for i in "$@"; do { wrapper_pid "$i" || nspawn_pid "$i"; } >/dev/null && left=1; done
    [ $left = 0 ] && break
    [ "$(date +%s)" -ge $deadline ] && { log "orderly shutdown timed out, killing"; break; }
    sleep 0.2
  done
  for i in "$@"; do
    local tries=0 pids
    while pids=$(cg_pids "$i") && [ -n "$pids" ]; do
      # shellcheck disable=SC2086
      kill -KILL $pids 2>/dev/null || true; sleep 0.2
      tries=$((tries + 1)); [ $tries -gt 50 ] && { log "pids still alive in $(name_of "$i"): $pids"; break; }
    done
    cleanup_host "$i"
  done
}

cleanup_host() { # remove everything a host left behind (safe to call repeatedly)
  local i=$1 d n h; d=$(hostdir "$i"); n=$(name_of "$i")
  if mountpoint -q "$d/root" 2>/dev/null; then
    rm -f "/run/systemd/nspawn/locks/inode-$(stat -c %d:%i "$d/root")"   # nspawn's image lock, sometimes left
    umount "$d/root" 2>/dev/null || umount -l "$d/root"
  fi
  ip netns del "$n" 2>/dev/null || true
  ip link del "${n}h" 2>/dev/null || true
  for h in "${CGHIER[@]}"; do
    [ -d "$h/$CGNAME/$n" ] && find "$h/$CGNAME/$n" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  rm -rf "/run/systemd/nspawn/propagate/$n" "/run/systemd/nspawn/unix-export/$n"
  if [ "${TESTHOSTS_KEEP:-0}" = 1 ] && [ "${2:-}" != quiet ]; then
    rm -f "$d/wrapper.pid" "$d/nspawn.pid"; rm -rf "$d/work"
  else
    rm -rf "$d"
  fi
}

known_indices() { # indices of all hosts that have any state
  local f; { for f in "$STATE/$PREFIX"[0-9]* "${CGHIER[0]}/$CGNAME/$PREFIX"[0-9]*; do
               if [ -e "$f" ]; then echo "${f##*/$PREFIX}"; fi
             done
             ip netns list 2>/dev/null | awk '{print $1}' | sed -n "s/^$PREFIX\([0-9]\+\)$/\1/p"
           } | sort -un
}

write_outputs() {
  local n=$1 i ip name hk first=1
  : > "$STATE/known_hosts"; : > "$STATE/ssh_config"; : > "$STATE/hosts.tsv"
  echo "[" > "$STATE/hosts.json"
  for ((i = 1; i <= n; i++)); do
    name=$(name_of "$i"); ip=$(ip_of "$i")
    hk=$(cut -d' ' -f1,2 "$(hostdir "$i")/root/etc/ssh/ssh_host_ed25519_key.pub")
    echo "$ip $hk" >> "$STATE/known_hosts"
    printf 'Host %s\n  HostName %s\n  Port 22\n  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n\n' \
      "$name" "$ip" "$KEY" "$STATE/known_hosts" >> "$STATE/ssh_config"
    printf '%s\t%s\t22\t%s\n' "$name" "$ip" "$KEY" >> "$STATE/hosts.tsv"
    [ $first = 1 ] && first=0 || echo "," >> "$STATE/hosts.json"
    printf '  {"name":"%s","address":"%s","port":22,"user":"root","privateKeyPath":"%s","rsaPrivateKeyPath":"%s","hostKey":"%s"}' \
      "$name" "$ip" "$KEY" "$CACHE/id_rsa" "$hk" >> "$STATE/hosts.json"
  done
  printf '\n]\n' >> "$STATE/hosts.json"
}

# ---------------------------------------------------------------- commands
cmd_up() {
  local n=${1:-}; [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 240 ] || die "usage: $0 up N (1..240)"
  need_root_and_tools debootstrap systemd-nspawn ssh ssh-keygen ip mount umount flock nsenter setsid mountpoint
  grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || die "overlayfs not available"
  base_vars
  mkdir -p "$STATE"; exec 9>"$STATE/.lock"; flock 9
  ensure_key; ensure_base; tune_kernel; ensure_bridge
  local i extra=() t0; now_us; t0=$NOW_US
  for i in $(known_indices); do [ "$i" -gt "$n" ] && extra+=("$i"); done
  [ ${#extra[@]} -gt 0 ] && { log "stopping surplus hosts: ${extra[*]}"; stop_hosts "${extra[@]}"; }
  local todo=()
  for ((i = 1; i <= n; i++)); do
    if wrapper_pid "$i" >/dev/null && nspawn_pid "$i" >/dev/null && mountpoint -q "$(hostdir "$i")/root" &&
       [ "$(cat "$(hostdir "$i")/base" 2>/dev/null)" = "$BASE" ]; then continue; fi   # already up
    todo+=("$i")
  done
  # anything left of those (crashed wrapper, orphaned container, other base) is stopped first
  local known=" $(echo $(known_indices)) " stale=()
  for i in "${todo[@]}"; do [[ "$known" == *" $i "* ]] && stale+=("$i"); done
  [ ${#stale[@]} -gt 0 ] && TESTHOSTS_KEEP=0 stop_hosts "${stale[@]}"
  if [ ${#todo[@]} -gt 0 ]; then
    log "booting ${#todo[@]} host(s): ${todo[*]}"
    local res=() fail=0 wpids=()
    for i in "${todo[@]}"; do boot_host "$i" "$t0" & wpids+=($!); done
    wait "${wpids[@]}" || true   # (a bare `wait` would also wait for the detached hosts)
    for i in "${todo[@]}"; do
      res+=("$(name_of "$i")=$(cat "$(hostdir "$i")/ssh_ready" 2>/dev/null || echo failed)s")
      grep -qs '^[0-9]' "$(hostdir "$i")/ssh_ready" || { fail=1; log "$(name_of "$i") failed; console: $(hostdir "$i")/console.log"; tail -5 "$(hostdir "$i")/console.log" >&2 || true; }
    done
    log "ssh ready: ${res[*]} (all ${#todo[@]} in $(since "$t0")s)"
    [ $fail = 0 ] || die "some hosts did not come up"
  fi
  write_outputs "$n"
  printf '%-6s %-12s %-5s %s\n' NAME ADDRESS PORT PRIVATE_KEY
  awk -F'\t' '{printf "%-6s %-12s %-5s %s\n", $1, $2, $3, $4}' "$STATE/hosts.tsv"
  log "also: $STATE/hosts.json, ssh -F $STATE/ssh_config ${PREFIX}1"
}

cmd_down() {
  need_root_and_tools ip umount flock mountpoint
  mkdir -p "$STATE"; exec 9>"$STATE/.lock"; flock 9
  local idx; mapfile -t idx < <(known_indices)
  [ ${#idx[@]} -gt 0 ] && { log "stopping: ${idx[*]/#/$PREFIX}"; stop_hosts "${idx[@]}"; }
  ip link del "$BR" 2>/dev/null || true
  if [ -f "$STATE/.ip_forward_orig" ]; then   # undo TESTHOSTS_NAT=1
    { command -v nft >/dev/null && nft delete table ip provision_testhosts 2>/dev/null; } ||
      iptables -t nat -D POSTROUTING -s "$NET.0/24" ! -d "$NET.0/24" -j MASQUERADE 2>/dev/null || true
    sysctl -qw net.ipv4.ip_forward="$(cat "$STATE/.ip_forward_orig")"; rm -f "$STATE/.ip_forward_orig"
  fi
  local h; for h in "${CGHIER[@]}"; do rmdir "$h/$CGNAME" 2>/dev/null || true; done
  rm -f "$STATE/hosts.json" "$STATE/hosts.tsv" "$STATE/known_hosts" "$STATE/ssh_config"
  log "down"
}

cmd_status() {
  local i d l st mem any=0
  printf '%-6s %-12s %-8s %-10s %-8s %s\n' NAME ADDRESS WRAPPER SYSTEMD SSH PSS_MiB
  for i in $(known_indices); do
    any=1; d=$(hostdir "$i")
    if p=$(wrapper_pid "$i"); then
      if l=$(leader_pid "$i"); then
        st=$(nsenter -t "$l" -m -u -i -n -p systemctl is-system-running 2>/dev/null || true)
      else st=starting; fi
      if timeout 3 bash -c "exec 3<>/dev/tcp/$(ip_of "$i")/22" 2>/dev/null; then s=open; else s=closed; fi
      mem=$(for q in $(cg_pids "$i"); do cat "/proc/$q/smaps_rollup" 2>/dev/null || true; done |
            awk '/^Pss:/{s+=$2} END{printf "%.1f", s/1024}')
      printf '%-6s %-12s %-8s %-10s %-8s %s\n' "$(name_of "$i")" "$(ip_of "$i")" "$p" "${st:-?}" "$s" "$mem"
    else
      printf '%-6s %-12s %-8s %-10s %-8s %s\n' "$(name_of "$i")" "$(ip_of "$i")" dead - - -
    fi
  done
  [ $any = 1 ] || echo "(no hosts)"
}

cmd_exec() { # run a command inside host I through nsenter (no ssh); its exit code is ours
  local i=${1:-}; DIE_RC=125
  [[ "$i" =~ ^[0-9]+$ ]] && [ $# -ge 2 ] || die "usage: $0 exec I cmd..."
  shift
  need_root_and_tools nsenter
  local l; l=$(leader_pid "$i") || die "host $(name_of "$i") is not running"
  exec nsenter -t "$l" -m -u -i -n -p -- /usr/bin/env -i \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root USER=root \
    LOGNAME=root SHELL=/bin/bash LANG=C.UTF-8 "$@"
}

cmd_reboot() { # `systemctl reboot` inside host I, wait for ssh from a new PID 1 and a finished boot
  local i=${1:-}
  [[ "$i" =~ ^[0-9]+$ ]] || die "usage: $0 reboot I"
  need_root_and_tools nsenter ssh
  local d n w np0 np l t0 out et el st; d=$(hostdir "$i"); n=$(name_of "$i")
  now_us; t0=$NOW_US
  { w=$(wrapper_pid "$i") && np0=$(nspawn_pid "$i") && l=$(leader_pid "$i"); } || die "host $n is not running"
  nsenter -t "$l" -m -u -i -n -p -- /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    systemctl reboot --no-block </dev/null || die "systemctl reboot failed in $n"
  while :; do
    # (the wrapper removes the file as nspawn exits: it may vanish between a test and a read)
    np=$(cat -- "$d/nspawn.pid" 2>/dev/null || true)
    # the wrapper restarted nspawn, sshd answers, and PID 1 inside is young (gotcha 7: its own
    # age, not /proc/uptime or boot_id, which are the machine's)
    if [ -n "$np" ] && [ "$np" != "$np0" ] && port_open "$(ip_of "$i")" &&
       out=$(host_ssh "$i" "ps -o etimes= -p 1 && timeout $BOOT_TIMEOUT systemctl is-system-running --wait" 2>/dev/null
             [ $? -le 1 ]); then   # (is-system-running exits 1 unless 'running')
      el=$(since "$t0"); et=$(echo $out | cut -d' ' -f1); st=$(echo $out | cut -d' ' -f2-)
      [[ "$et" =~ ^[0-9]+$ ]] && (( et <= ${el%.*} + 1 )) && break
    fi
    [ -d "/proc/$w" ] || die "$n died during reboot; console: $d/console.log"
    timed_out "$t0" && die "$n did not come back within ${BOOT_TIMEOUT}s"
    sleep 0.1
  done
  log "$n rebooted: PID 1 up ${et}s, system $st, after $(since "$t0")s"
}

main() {
  case "${1:-}" in
    up) shift; cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    ssh) shift; i=${1:?usage: $0 ssh I [cmd...]}; shift
         exec ssh -i "$KEY" -o IdentitiesOnly=yes -o UserKnownHostsFile="$STATE/known_hosts" -o StrictHostKeyChecking=yes "root@$(ip_of "$i")" "$@" ;;
    exec) shift; cmd_exec "$@" ;;
    reboot) shift; cmd_reboot "$@" ;;
    _run) run_host "$2" ;;
    *) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$SELF"; exit 2 ;;
  esac
}

main "$@"; exit $?   # (one line: never read further from this file while it may change)
