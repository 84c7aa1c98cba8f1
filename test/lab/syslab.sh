#!/bin/bash
# syslab.sh - a simulated 2026 ConoHa VPS with real systemd (PID 1), real Docker and sshd, booted with
# systemd-nspawn from a cached Debian root filesystem, behind a simulated provider router. See SYSLAB.md.
#
#   bash test/lab/syslab.sh build | up | down | env | status | logs | vps CMD... | router CMD...
#                           | ping ADDR [TRIES] | tcp ADDR PORT [TRIES] | restart-container NAME
#                           | restart-dockerd | reboot
#
# Topology (every name carries $LAB_PREFIX; several labs, and lab.sh labs, can coexist):
#   netns $P-up  : provider router. vps0 = $LAB_GATEWAY (its only link-local) + $LAB_ROUTER_ADDR/64, radvd
#                  (on-link, AdvAutonomous off); cli0 = fd00:c7:N::2/64; lo = $LAB_PROBE_ADDR/128 + a TCP
#                  listener on $LAB_PROBE_PORT ("the internet").
#   netns $P-vps : the VPS (nspawn --network-namespace-path; recreated before every boot = power cycle):
#                  $LAB_UPLINK (fixed MAC) <-> router vps0; mgmt0 = fd00:c6:N::2/64 + 169.254.N.2/30 (no default).
#   root netns   : $P-m = fd00:c6:N::1/64 + 169.254.N.1/30 (ssh); $P-c = fd00:c7:N::1/64 (the client), with
#                  routes for the VPS /64 and the probe address via the router (fd00:c7:N::2).
#   the guest    : systemd-nspawn -b on an overlayfs (lower = cached image, upper/work in $LAB_STATE), docker
#                  data-root = plain dir $LAB_STATE/docker; containers c1 c2 (restart always, TCP 8080), c3.
set -Eeuo pipefail
shopt -s nullglob

LAB_SH=$(readlink -f "${BASH_SOURCE[0]}")
LAB_DIR=$(dirname "$LAB_SH")
LAB_PREFIX=${LAB_PREFIX:-cv6sys}
S=/var/lib/$LAB_PREFIX-syslab             # state dir (keys, config, logs, overlay upper/work, docker data-root)
NS_VPS=$LAB_PREFIX-vps
NS_UP=$LAB_PREFIX-up
MGMT_ROOT=$LAB_PREFIX-m                   # root-ns end of the management veth
CLI_ROOT=$LAB_PREFIX-c                    # root-ns end of the client veth
MGMT_VPS=mgmt0
RT_IF=vps0                                # router-ns end of the uplink veth
RT_CLI=cli0                               # router-ns end of the client veth
BRIDGE=docker0
MACHINE=$LAB_PREFIX-vps
CG=/sys/fs/cgroup/unified/$LAB_PREFIX-syslab
IMAGE=$LAB_PREFIX/busybox                 # docker image inside the guest
CONTAINER_PORT=8080
PROBE_PORT=9
KEY_PASSPHRASE='lab passphrase'
PWUSER_PASSWORD='lab password'
VPS_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ROOTFS_CACHE=${CONOHA_IPV6_ROOTFS:-${XDG_CACHE_HOME:-$HOME/.cache}/conoha-ipv6/rootfs}
LAYOUT=1                                  # bump when the image layout changes (forces a rebuild)
BASE_PKGS="systemd systemd-sysv dbus iproute2 openssh-server sudo iputils-ping radvd ca-certificates"
EXTRA_PKGS="docker.io docker-cli docker-compose nftables iptables ufw busybox-static"
CONF_VARS="LAB_VARIANT LAB_IMAGE LAB_DOCKER_VERSION LAB_DOCKER_PACKAGE LAB_UPLINK LAB_GATEWAY LAB_HOST_ADDR LAB_ROUTER_ADDR LAB_NET"

trap 'rc=$?; [ "$BASHPID" = $$ ] && echo "syslab.sh: FAILED at line $LINENO: $BASH_COMMAND (exit $rc)" >&2' ERR
T0=$(date +%s%N)
say()  { local ms=$(( ($(date +%s%N) - T0) / 1000000 )); printf '[%3d.%03ds] %s\n' $((ms/1000)) $((ms%1000)) "$*"; }
warn() { echo "syslab.sh: WARNING: $*" >&2; }
die()  { echo "syslab.sh: ERROR: $*" >&2; exit 1; }
since() { local ms=$(( ($(date +%s%N) - $1) / 1000000 )); printf '%d.%03ds' $((ms/1000)) $((ms%1000)); }

# ---------------------------------------------------------------------------------------------------------
# images: build once into $ROOTFS_CACHE/<image>/{rootfs,manifest,.complete}
# ---------------------------------------------------------------------------------------------------------
image_suite() { case $1 in trixie-d26) echo trixie;; sid-d28) echo sid;; *) die "unknown image '$1'";; esac; }
image_want() { echo "layout=$LAYOUT suite=$(image_suite "$1") base=${BASE_PKGS// /,} extra=${EXTRA_PKGS// /,},systemd-networkd? busybox-tar=/var/lib/syslab/busybox.tar"; }
image_ok() { [ -f "$ROOTFS_CACHE/$1/.complete" ] && [ "$(cat "$ROOTFS_CACHE/$1/.complete")" = "$(image_want "$1")" ]; }

mirror() {
  local m; m=$(awk '/^URIs:/ && $2 ~ /deb\.debian\.org\/debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  echo "${m:-http://deb.debian.org/debian}"
}

host_install() {  # PKG... : apt-get install on the machine, only what is missing
  local missing="" p
  for p; do dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=" $p"; done
  [ -n "$missing" ] || return 0
  say "installing on this machine:$missing (apt-get --no-install-recommends)"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >/dev/null
}

# build_one IMAGE: debootstrap + packages + busybox tarball + manifest + verification, marker last
build_one() {
  local img=$1 suite D R t0 apt_opt="" nw="" p
  suite=$(image_suite "$img"); D=$ROOTFS_CACHE/$img; R=$D/rootfs; t0=$(date +%s%N)
  [ "$suite" = sid ] && apt_opt="-o Acquire::Check-Valid-Until=false"
  # the mounts are undone however the build ends; the trap names the paths itself (it may run after this function's
  # locals are gone, where "$R" would be unbound under set -u)
  build_cleanup() { umount -l "$R/proc" 2>/dev/null || true; umount -l "$R/sys" 2>/dev/null || true; }
  # shellcheck disable=SC2064
  trap "$(printf 'umount -l %q 2>/dev/null; umount -l %q 2>/dev/null; true' "$R/proc" "$R/sys")" EXIT
  rm -rf --one-file-system "$D"; mkdir -p "$D"
  echo "=== $(date -u +%FT%TZ) debootstrap $suite"
  debootstrap --variant=minbase --include="${BASE_PKGS// /,}" "$suite" "$R" "$(mirror)"
  echo "=== debootstrap done after $(since "$t0")"
  printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"; chmod 755 "$R/usr/sbin/policy-rc.d"
  mount -t proc proc "$R/proc"
  [ "$suite" = sid ] && echo 'Acquire::Check-Valid-Until "false";' > "$R/etc/apt/apt.conf.d/99syslab-no-valid-until"
  # shellcheck disable=SC2086
  chroot "$R" apt-get $apt_opt update
  chroot "$R" apt-cache show systemd-networkd >/dev/null 2>&1 && nw=systemd-networkd
  # shellcheck disable=SC2086
  chroot "$R" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $EXTRA_PKGS $nw
  chroot "$R" apt-get clean
  rm -f "$R/usr/sbin/policy-rc.d"
  # radvd: installed, disabled, no config (the tool writes it); ufw: installed, not enabled (ENABLED=no)
  chroot "$R" systemctl disable radvd.service >/dev/null 2>&1 || true
  rm -f "$R/etc/radvd.conf"
  grep -q '^ENABLED=no' "$R/etc/ufw/ufw.conf" || { echo "ufw.conf is not ENABLED=no" >&2; return 1; }
  # networkd: present, not enabled (the d28-networkd variant enables it per lab)
  [ -z "$nw" ] || chroot "$R" systemctl disable systemd-networkd.service systemd-networkd.socket >/dev/null 2>&1 || true
  # the image has no identity: machine-id, hostname and ssh host keys are written per lab at 'up'
  : > "$R/etc/machine-id"; rm -f "$R"/etc/ssh/ssh_host_*
  # an offline busybox docker image, to 'docker import' at first boot
  local B; B=$(mktemp -d); mkdir -p "$B"/{bin,etc,proc,sys,dev,tmp,root,run}
  cp "$R/usr/bin/busybox" "$B/bin/busybox" 2>/dev/null || cp "$R/bin/busybox" "$B/bin/busybox"
  for p in $(chroot "$R" busybox --list); do [ "$p" = busybox ] || ln -sf busybox "$B/bin/$p"; done
  echo 'root:x:0:0:root:/root:/bin/sh' > "$B/etc/passwd"; echo 'root:x:0:' > "$B/etc/group"
  chmod 1777 "$B/tmp"; mkdir -p "$R/var/lib/syslab"; tar -C "$B" -cf "$R/var/lib/syslab/busybox.tar" .; rm -rf "$B"
  # verify
  chroot "$R" dockerd --version; chroot "$R" docker --version; chroot "$R" docker compose version; chroot "$R" systemctl --version | head -1
  chroot "$R" ufw --version | head -1; chroot "$R" iptables --version
  [ -s "$R/var/lib/syslab/busybox.tar" ] || { echo "no busybox tarball" >&2; return 1; }
  # read whole, then matched (grep -q in the pipe could exit first and fail busybox with SIGPIPE under pipefail)
  local nchelp; nchelp=$(chroot "$R" busybox nc --help 2>&1 || true)
  [[ $nchelp == *'-e PROG'* ]] || { echo "busybox nc has no -e" >&2; return 1; }
  {
    echo "image=$img suite=$suite built=$(date -u +%FT%TZ) mirror=$(mirror)"
    for p in docker.io docker-cli docker-compose containerd runc systemd systemd-networkd iptables nftables ufw radvd openssh-server busybox-static; do
      printf '%s=%s\n' "$p" "$(chroot "$R" dpkg-query -W -f '${Version}' "$p" 2>/dev/null || echo none)"
    done
    echo "size=$(du -sh "$R" | cut -f1)"
  } > "$D/manifest"
  build_cleanup; trap - EXIT
  image_want "$img" > "$D/.complete"
  echo "=== $img complete after $(since "$t0")"
}

cmd_build() {  # [IMAGE...] (default: both)
  local imgs=${*:-trixie-d26 sid-d28} img todo="" pids="" rc=0 t0
  for img in $imgs; do image_suite "$img" >/dev/null; image_ok "$img" || todo+=" $img"; done
  [ -n "$todo" ] || { [ "${QUIET_BUILD:-0}" = 1 ] || say "build: images complete in $ROOTFS_CACHE:$(printf ' %s' $imgs)"; return 0; }
  [ "$(id -u)" = 0 ] || die "build needs root (debootstrap, chroot)"
  t0=$(date +%s%N)
  host_install debootstrap
  mkdir -p "$ROOTFS_CACHE"
  say "build:$todo into $ROOTFS_CACHE (in parallel; logs $ROOTFS_CACHE/<image>.build.log)"
  for img in $todo; do
    (  # one builder per image at a time (several labs may call build at once)
      exec 9>"$ROOTFS_CACHE/$img.lock"; flock 9
      image_ok "$img" && exit 0
      build_one "$img" > "$ROOTFS_CACHE/$img.build.log" 2>&1
    ) & pids+=" $!"
  done
  for p in $pids; do wait "$p" || rc=$?; done
  for img in $todo; do
    if image_ok "$img"; then say "build: $img ok: $(grep -E '^(docker.io|systemd|iptables|ufw)=' "$ROOTFS_CACHE/$img/manifest" | xargs)"
    else tail -15 "$ROOTFS_CACHE/$img.build.log" >&2; die "build of $img failed (see $ROOTFS_CACHE/$img.build.log)"; fi
  done
  say "build: done in $(since "$t0")"
}

# ---------------------------------------------------------------------------------------------------------
# configuration: env vars at 'up', saved in $S/config; later commands need only LAB_PREFIX
# ---------------------------------------------------------------------------------------------------------
load_config() {  # $1=fresh: ignore a saved config
  local v saved=0
  for v in $CONF_VARS; do eval "local env_$v=\${$v-}"; done
  if [ "${1:-}" != fresh ] && [ -f "$S/config" ]; then
    # shellcheck disable=SC1091
    . "$S/config"; saved=1
    for v in LAB_VARIANT LAB_UPLINK LAB_GATEWAY LAB_HOST_ADDR LAB_NET; do
      local e; eval "e=\$env_$v"
      [ -n "$e" ] && [ "$e" != "${!v}" ] && warn "ignoring $v=$e: this lab was built with $v=${!v} (run 'up' to change it)"
    done
  fi
  if [ $saved = 0 ]; then
    LAB_VARIANT=${env_LAB_VARIANT:-d26-ra}
    case $LAB_VARIANT in
      d26-ra|d26-ip6tables|ufw) LAB_IMAGE=trixie-d26;;
      d28-networkd) LAB_IMAGE=sid-d28;;
      *) die "LAB_VARIANT='$LAB_VARIANT': use d26-ra, d28-networkd, d26-ip6tables or ufw";;
    esac
    LAB_NET=${env_LAB_NET:-$(( $(printf %s "$LAB_PREFIX" | cksum | cut -d' ' -f1) % 200 + 20 ))}
    [[ $LAB_NET =~ ^[0-9]+$ ]] && [ "$LAB_NET" -ge 1 ] && [ "$LAB_NET" -le 250 ] || die "LAB_NET='$LAB_NET' must be a number 1..250"
    LAB_UPLINK=${env_LAB_UPLINK:-eth0}
    LAB_GATEWAY=${env_LAB_GATEWAY:-fe80::1}
    local pfx
    if [ "$LAB_VARIANT" = d28-networkd ]; then   # ConoHa VPS 3.0 style
      pfx=2001:db8:2002:$(printf %x $((0x3000 + LAB_NET)))
      LAB_HOST_ADDR=${env_LAB_HOST_ADDR:-$pfx:163:44:118:70}
    else
      pfx=2001:db8:1301:$(printf %x $((0x800 + LAB_NET)))
      LAB_HOST_ADDR=${env_LAB_HOST_ADDR:-$pfx:157:7:235:12}
    fi
    [ -z "${env_LAB_HOST_ADDR:-}" ] || pfx=$(prefix64 "$LAB_HOST_ADDR")
    LAB_ROUTER_ADDR=${env_LAB_ROUTER_ADDR:-$pfx::1}
    LAB_DOCKER_VERSION="" LAB_DOCKER_PACKAGE=""
  fi
  MG6_ROOT=fd00:c6:$LAB_NET::1 MG6_VPS=fd00:c6:$LAB_NET::2
  MG4_ROOT=169.254.$LAB_NET.1  MG4_VPS=169.254.$LAB_NET.2
  CLI6_ROOT=fd00:c7:$LAB_NET::1 CLI6_RT=fd00:c7:$LAB_NET::2
  PROBE_ADDR=2001:db8:ff$(printf %02x "$LAB_NET")::1
  V6NET_SUBNET=fd00:c8:$LAB_NET::/64
  local x; x=$(printf %02x "$LAB_NET")
  MAC_UPLINK=02:c6:5e:b0:$x:12 MAC_RT=02:c6:5e:b0:$x:01
  IMG_DIR=$ROOTFS_CACHE/$LAB_IMAGE
}

# the /64 of an IPv6 address: its first 4 groups, e.g. 2001:db8:1301:814 (append "::/64" for the prefix)
prefix64() {
  local a=${1%%/*} head tail i n out=""; local -a H=() T=() G=()
  [[ $a =~ ^[0-9A-Fa-f:]+$ ]] || die "cannot parse IPv6 address '$1'"
  if [[ $a == *::* ]]; then head=${a%%::*}; tail=${a#*::}; else head=$a; tail=""; fi
  [ -z "$head" ] || IFS=: read -ra H <<< "$head"
  [ -z "$tail" ] || IFS=: read -ra T <<< "$tail"
  n=$((8 - ${#H[@]} - ${#T[@]})); G=("${H[@]}"); for ((i = 0; i < n; i++)); do G+=(0); done; G+=("${T[@]}")
  for i in 0 1 2 3; do out+=$(printf '%x' $((16#${G[i]:-0}))); [ $i = 3 ] || out+=:; done
  echo "$out"
}

save_config() { local v; for v in $CONF_VARS; do printf "%s='%s'\n" "$v" "${!v}"; done > "$S/config"; }

validate_config() {
  [[ $LAB_PREFIX =~ ^[a-z][a-z0-9-]*$ ]] || die "LAB_PREFIX='$LAB_PREFIX': use lowercase letters, digits and '-'"
  [ ${#MGMT_ROOT} -le 15 ] || die "LAB_PREFIX='$LAB_PREFIX' is too long (at most 13 characters)"
  [ ${#LAB_UPLINK} -le 15 ] && [[ $LAB_UPLINK =~ ^[A-Za-z][A-Za-z0-9_.-]*$ ]] || die "LAB_UPLINK='$LAB_UPLINK' is not a valid interface name"
  case $LAB_UPLINK in lo|$MGMT_VPS|$BRIDGE|host0) die "LAB_UPLINK='$LAB_UPLINK' clashes with a lab interface";; esac
  [[ ${LAB_GATEWAY,,} == fe80:* ]] || die "LAB_GATEWAY='$LAB_GATEWAY' must be a link-local address"
  [[ $LAB_HOST_ADDR == *:* && $LAB_ROUTER_ADDR == *:* ]] || die "LAB_HOST_ADDR / LAB_ROUTER_ADDR must be IPv6 addresses"
}

preflight() {
  [ "$(uname -s)" = Linux ] || die "this lab needs Linux"
  [ "$(id -u)" = 0 ] || die "run as root (namespaces, overlayfs, systemd-nspawn)"
  local missing="" pair bin pkg
  for pair in ip:iproute2 nsenter:util-linux setsid:util-linux flock:util-linux ssh:openssh-client \
              ssh-keygen:openssh-client timeout:coreutils cksum:coreutils ps:procps \
              ping:iputils-ping awk:mawk; do
    bin=${pair%%:*} pkg=${pair#*:}
    command -v "$bin" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin command -v "$bin" >/dev/null 2>&1 \
      || missing+=" $bin(apt-get install $pkg)"
  done
  [ -z "$missing" ] || die "missing binaries:$missing"
  [ -d /sys/fs/cgroup/unified ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || die "no cgroup2 mount found"
  grep -qw overlay /proc/filesystems || die "the kernel has no overlayfs"
}

# systemd-nspawn (and debootstrap for build) on the machine: installed without recommends, so that
# libnss-mymachines (it would edit /etc/nsswitch.conf) is not pulled in
ensure_nspawn() { command -v systemd-nspawn >/dev/null 2>&1 || host_install systemd-container; }

cgroot() { if [ -d /sys/fs/cgroup/unified ]; then echo /sys/fs/cgroup/unified; else echo /sys/fs/cgroup; fi; }

# ---------------------------------------------------------------------------------------------------------
# processes: only the lab's own (pidfiles, our cgroup subtree, our netns); never by name
# ---------------------------------------------------------------------------------------------------------
alive() { local st; st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; st=${st##*) }; [ -n "$st" ] && [ "${st%% *}" != Z ]; }
pid_of() { local p; p=$(cat "$1" 2>/dev/null) || return 1; [ -n "$p" ] && alive "$p" && echo "$p"; }
stop_pids() {  # GRACE PIDS...
  local grace=$1 p left i; shift
  [ $# -gt 0 ] || return 0
  kill -TERM "$@" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    left=""; for p; do alive "$p" && left+=" $p"; done
    [ -z "$left" ] && return 0; sleep 0.1
  done
  # shellcheck disable=SC2086
  kill -KILL $left 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do left=""; for p; do alive "$p" && left+=" $p"; done; [ -z "$left" ] && return 0; sleep 0.1; done
  warn "still alive after SIGKILL:$left"
}
cg_pids() { [ -d "$CG" ] && find "$CG" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -un | xargs; return 0; }
ns_ino() { stat -L -c %i "/run/netns/$1" 2>/dev/null || true; }
record_ino() { ns_ino "$2" >> "$S/netns-ino.$1"; }
netns_pids() {  # processes in our netns (current or earlier boots), never this script or its ancestors
  local inos; inos=$({ ns_ino "$NS_VPS"; ns_ino "$NS_UP"; cat "$S"/netns-ino.* 2>/dev/null || true; } | sort -u | xargs)
  [ -n "$inos" ] || return 0
  { find /proc/[0-9]*/ns/net -maxdepth 0 -printf '%p %l\n' 2>/dev/null || true; } | awk -v inos="$inos" -v self="$$" -v bp="$BASHPID" '
    BEGIN { n = split(inos, a, " "); for (i = 1; i <= n; i++) want["net:[" a[i] "]"] = 1 }
    ($2 in want) { split($1, f, "/"); if (f[3] != self && f[3] != bp && f[3] != 1) print f[3] }' | xargs
}
describe_pids() { local p; for p; do printf ' %s(%s)' "$p" "$(cat "/proc/$p/comm" 2>/dev/null)"; done; }

# the guest's PID 1 (a child of our systemd-nspawn, running systemd)
leader() {
  local np c; np=$(pid_of "$S/nspawn.pid") || return 1
  for c in $(ps --ppid "$np" -o pid= 2>/dev/null); do
    [ "$(cat "/proc/$c/comm" 2>/dev/null)" = systemd ] && { echo "$c"; return 0; }
  done
  return 1
}
# gx CMD...: run CMD as root inside the guest (all its namespaces), clean env
gx() {
  local l; l=$(leader) || { echo "syslab.sh: the guest of '$LAB_PREFIX' is not running" >&2; return 125; }
  env -i PATH=$VPS_PATH HOME=/root USER=root LOGNAME=root LANG=C.UTF-8 TERM="${TERM:-dumb}" nsenter -t "$l" -a "$@"
}

# ---------------------------------------------------------------------------------------------------------
# waits
# ---------------------------------------------------------------------------------------------------------
wait_for() {  # SECONDS WHAT CMD... : poll CMD every 0.1 s until it succeeds, for at most SECONDS (wall clock)
  local secs=$1 what=$2 end; shift 2
  end=$(( $(date +%s%N) + secs * 1000000000 ))
  while [ "$(date +%s%N)" -lt "$end" ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  "$@" >/dev/null 2>&1 && return 0
  echo "syslab.sh: timeout after ${secs}s waiting for $what" >&2; return 1
}
system_settled() { local s; s=$(gx systemctl is-system-running 2>/dev/null) || true; case $s in running|degraded) return 0;; esac; return 1; }
ssh_ok() {
  ssh -n -i "$S/keys/id_root" -o UserKnownHostsFile="$S/known_hosts" -o StrictHostKeyChecking=yes -o BatchMode=yes \
      -o ConnectTimeout=3 -o LogLevel=ERROR root@"$MG6_VPS" true
}
docker_up() { gx docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
default_route() { ip -n "$NS_VPS" -6 route show default 2>/dev/null | head -1; }
has_default() {
  local r; r=$(default_route)
  if [ "$LAB_VARIANT" = d28-networkd ]; then [[ $r == *"via $LAB_GATEWAY dev $LAB_UPLINK proto static"* ]]
  else [[ $r == *"via $LAB_GATEWAY dev $LAB_UPLINK proto ra"* ]]; fi
}
restart_policy_running() {
  local ids line; ids=$(gx docker ps -aq) || return 1
  [ -n "$ids" ] || return 0
  # shellcheck disable=SC2086
  while read -r line; do [ "$line" != "always false" ] || return 1; done \
    < <(gx docker inspect -f '{{.HostConfig.RestartPolicy.Name}} {{.State.Running}}' $ids)
  return 0
}
boot_id() { gx cat /proc/sys/kernel/random/boot_id 2>/dev/null; }

# after a boot: systemd settled (running, else fail with the failed units), sshd, docker, default route
wait_guest() {  # LABEL
  local t0=$(date +%s%N) st
  wait_for 120 "the guest's systemd (is-system-running)" system_settled || { cmd_logs_short; die "the guest did not finish booting"; }
  st=$(gx systemctl is-system-running 2>/dev/null || true)
  if [ "$st" != running ]; then
    gx systemctl --failed --no-pager >&2 || true
    die "the guest is '$st' (failed units above)"
  fi
  say "$1: systemd running (waited $(since "$t0"))"
  wait_for 30 "sshd (ssh root@$MG6_VPS)" ssh_ok || die "sshd does not answer"
  wait_for 60 "docker" docker_up || die "docker does not answer"
  wait_for 30 "the default route ($([ "$LAB_VARIANT" = d28-networkd ] && echo static || echo ra))" has_default \
    || { ip -n "$NS_VPS" -6 route >&2; die "no default route on the VPS"; }
  say "$1: sshd, docker answer; $(default_route)"
}

# ---------------------------------------------------------------------------------------------------------
# network
# ---------------------------------------------------------------------------------------------------------
check_net_free() {
  local a; a=$(ip -o addr show 2>/dev/null | awk -v m="$MGMT_ROOT" -v c="$CLI_ROOT" -v n="$LAB_NET" \
    '$2 != m && $2 != c && (index($4, "169.254." n ".") == 1 || index($4, "fd00:c6:" n "::") == 1 || index($4, "fd00:c7:" n "::") == 1) {print $2 " " $4; exit}')
  [ -z "$a" ] || die "LAB_NET=$LAB_NET is already used in the root netns ($a; another lab?): set LAB_NET=1..250 to a free one"
  ip -6 route show "$(prefix64 "$LAB_HOST_ADDR")::/64" 2>/dev/null | grep -q . \
    && die "the root netns already routes $(prefix64 "$LAB_HOST_ADDR")::/64 (another lab?)"
  return 0
}

# the router ("provider") netns: forwarding, client veth, probe address; radvd + probe come later
create_router() {
  ip netns add "$NS_UP"; record_ino up "$NS_UP"
  ip -n "$NS_UP" link set lo up
  ip netns exec "$NS_UP" sysctl -qw net.ipv6.conf.all.forwarding=1
  ip -n "$NS_UP" addr add "$PROBE_ADDR/128" dev lo
  ip link add "$CLI_ROOT" type veth peer name "$RT_CLI" netns "$NS_UP"
  ip addr add "$CLI6_ROOT/64" dev "$CLI_ROOT" nodad
  ip link set "$CLI_ROOT" up
  ip -n "$NS_UP" addr add "$CLI6_RT/64" dev "$RT_CLI" nodad
  ip -n "$NS_UP" link set "$RT_CLI" up
  ip -6 route add "$(prefix64 "$LAB_HOST_ADDR")::/64" via "$CLI6_RT" dev "$CLI_ROOT"
  ip -6 route add "$PROBE_ADDR/128" via "$CLI6_RT" dev "$CLI_ROOT"
}

start_router_daemons() {
  local p bb
  if p=$(pid_of "$S/router-radvd.pid"); then stop_pids 5 "$p"; fi
  cat > "$S/router-radvd.conf" <<EOF
interface $RT_IF {
  AdvSendAdvert on;
  MinRtrAdvInterval 3;
  MaxRtrAdvInterval 10;
  AdvDefaultLifetime 1800;
  prefix $(prefix64 "$LAB_ROUTER_ADDR")::/64 { AdvOnLink on; AdvAutonomous off; };
};
EOF
  rm -f "$S/router-radvd.pid"
  # nsenter --net only (no mount ns copy that would keep deleted VPS netns alive)
  nsenter --net="/run/netns/$NS_UP" /usr/sbin/radvd -C "$S/router-radvd.conf" -p "$S/router-radvd.pid" -m logfile -l "$S/log/router-radvd.log"
  wait_for 5 "router radvd" pid_of "$S/router-radvd.pid"
  # "the internet": a TCP listener that answers one line and closes (busybox from the image: static)
  bb=$IMG_DIR/rootfs/usr/bin/busybox; [ -x "$bb" ] || bb=$IMG_DIR/rootfs/bin/busybox
  ( exec setsid nsenter --net="/run/netns/$NS_UP" "$bb" nc -ll -p "$PROBE_PORT" -e echo "probe $LAB_PREFIX $PROBE_ADDR port $PROBE_PORT" \
  ) </dev/null >>"$S/log/probe.log" 2>&1 &
  echo $! > "$S/probe.pid"
}

# the VPS netns = its "hardware", recreated before every boot (a power cycle clears netfilter, sysctls, routes)
net_reset() {
  ip -n "$NS_UP" link del "$RT_IF" 2>/dev/null || true
  ip link del "$MGMT_ROOT" 2>/dev/null || true
  if [ -e "/run/netns/$NS_VPS" ]; then ip netns del "$NS_VPS" 2>/dev/null || true; fi
  ip netns add "$NS_VPS"; record_ino vps "$NS_VPS"
  ip -n "$NS_VPS" link set lo up
  ip -n "$NS_VPS" link add "$LAB_UPLINK" address "$MAC_UPLINK" type veth peer name "$RT_IF" address "$MAC_RT" netns "$NS_UP"
  ip -n "$NS_UP" link set "$RT_IF" addrgenmode none
  ip -n "$NS_UP" addr add "$LAB_GATEWAY/64" dev "$RT_IF" nodad
  ip -n "$NS_UP" addr add "$LAB_ROUTER_ADDR/64" dev "$RT_IF" nodad
  ip -n "$NS_UP" link set "$RT_IF" up
  # management link (lab only, pre-configured from outside; no default route through it)
  ip link add "$MGMT_ROOT" type veth peer name "$MGMT_VPS" netns "$NS_VPS"
  ip addr add "$MG6_ROOT/64" dev "$MGMT_ROOT" nodad; ip addr add "$MG4_ROOT/30" dev "$MGMT_ROOT"; ip link set "$MGMT_ROOT" up
  ip -n "$NS_VPS" addr add "$MG6_VPS/64" dev "$MGMT_VPS" nodad; ip -n "$NS_VPS" addr add "$MG4_VPS/30" dev "$MGMT_VPS"
  ip -n "$NS_VPS" link set "$MGMT_VPS" up
  # the uplink stays down: the guest's own network configuration brings it up
  # the router's radvd does not always take up a deleted and re-created interface by itself (seen: no RA for
  # minutes after a guest reboot); a real provider router's port never disappears, so tell radvd to re-init
  local p; if p=$(pid_of "$S/router-radvd.pid"); then kill -HUP "$p" 2>/dev/null || true; fi
}

# ---------------------------------------------------------------------------------------------------------
# the guest's disk: overlayfs (lower = cached image, never written); per-lab files go into the upper layer
# ---------------------------------------------------------------------------------------------------------
mount_overlay() {
  mkdir -p "$S/upper" "$S/work" "$S/merged" "$S/docker"
  mountpoint -q "$S/merged" && return 0
  mount -t overlay "$LAB_PREFIX-syslab" -o "lowerdir=$IMG_DIR/rootfs,upperdir=$S/upper,workdir=$S/work" "$S/merged"
}

write_unit() { cat > "$M/etc/systemd/system/$1"; }

prepare_disk() {
  local M=$S/merged hk
  echo "$MACHINE" > "$M/etc/hostname"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n' "$MACHINE" > "$M/etc/hosts"
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$M/etc/machine-id"; echo >> "$M/etc/machine-id"
  # keys: clients' (root, labuser/pwuser, an encrypted one) and a fresh sshd host key
  mkdir -p "$S/keys" "$S/log"
  ssh-keygen -q -t ed25519 -N '' -C "$LAB_PREFIX-root" -f "$S/keys/id_root"
  ssh-keygen -q -t ed25519 -N '' -C "$LAB_PREFIX-user" -f "$S/keys/id_user"
  ssh-keygen -q -t ed25519 -N "$KEY_PASSPHRASE" -C "$LAB_PREFIX-enc" -f "$S/keys/id_enc"
  rm -f "$M"/etc/ssh/ssh_host_*
  ssh-keygen -q -t ed25519 -N '' -C "$MACHINE" -f "$M/etc/ssh/ssh_host_ed25519_key"
  cat > "$M/etc/ssh/sshd_config.d/00-syslab.conf" <<EOF
# lab VPS (written by test/lab/syslab.sh)
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
MaxStartups 64
MaxSessions 32
EOF
  hk=$(cut -d' ' -f1,2 "$M/etc/ssh/ssh_host_ed25519_key.pub")
  printf '%s %s\n%s %s\n%s %s\n' "$MG6_VPS" "$hk" "$MG4_VPS" "$hk" "$LAB_HOST_ADDR" "$hk" > "$S/known_hosts"
  install -d -m 700 "$M/root/.ssh"
  cat "$S/keys/id_root.pub" "$S/keys/id_enc.pub" > "$M/root/.ssh/authorized_keys"; chmod 600 "$M/root/.ssh/authorized_keys"
  # users (the guest's own tools, chrooted into the upper layer; no daemon runs)
  chroot "$M" sh -ec '
    useradd -l -m -s /bin/bash -c "lab user" labuser
    useradd -l -m -s /bin/bash -c "lab password user" -G sudo pwuser
    usermod -p "*" labuser
    printf "%s\n" "pwuser:$1" | chpasswd
    echo "labuser ALL=(ALL:ALL) NOPASSWD: ALL" > /etc/sudoers.d/lab-labuser; chmod 440 /etc/sudoers.d/lab-labuser
    for u in labuser pwuser; do
      install -d -m 700 -o $u -g $u /home/$u/.ssh
      printf "%s\n" "$2" > /home/$u/.ssh/authorized_keys
      chown $u:$u /home/$u/.ssh/authorized_keys; chmod 600 /home/$u/.ssh/authorized_keys
    done' sh "$PWUSER_PASSWORD" "$(cat "$S/keys/id_user.pub")"
  # the uplink's configuration, per variant
  if [ "$LAB_VARIANT" = d28-networkd ]; then
    mkdir -p "$M/etc/systemd/network"
    cat > "$M/etc/systemd/network/10-uplink.network" <<EOF
# uplink: static address and gateway (ConoHa VPS 3.0 style; written by the lab)
[Match]
Name=$LAB_UPLINK

[Network]
Address=$LAB_HOST_ADDR/64
Gateway=$LAB_GATEWAY
IPv6AcceptRA=no
EOF
    chroot "$M" systemctl enable systemd-networkd.service >/dev/null 2>&1
  else
    # like ifupdown's "iface eth0 inet6 static" (no gateway: the default route comes from the router's RAs)
    write_unit syslab-uplink.service <<EOF
[Unit]
Description=Static IPv6 address on $LAB_UPLINK (lab; like /etc/network/interfaces)
DefaultDependencies=no
Wants=network.target
Before=network.target network-online.target
After=systemd-sysctl.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/ip link set dev $LAB_UPLINK up
ExecStart=/usr/sbin/ip -6 addr replace $LAB_HOST_ADDR/64 dev $LAB_UPLINK

[Install]
WantedBy=multi-user.target network-online.target
EOF
    chroot "$M" systemctl enable syslab-uplink.service >/dev/null 2>&1
  fi
  # no internet here: apt's daily timers would only fail (and turn the system 'degraded')
  chroot "$M" systemctl disable apt-daily.timer apt-daily-upgrade.timer >/dev/null 2>&1 || true
  if [ "$LAB_VARIANT" = d26-ip6tables ]; then
    mkdir -p "$M/etc/docker"; printf '{"ip6tables": true, "experimental": true, "live-restore": true}\n' > "$M/etc/docker/daemon.json"
  fi
}

# ---------------------------------------------------------------------------------------------------------
# the power: a loop that (re)creates the VPS netns and runs systemd-nspawn; nspawn exits 133 on reboot
# ---------------------------------------------------------------------------------------------------------
run_loop() {  # runs detached (setsid), pid in $S/loop.pid
  local rc n=0
  echo "$BASHPID" > "$S/loop.pid"
  trap - ERR; set +e
  while :; do
    [ -e "$S/poweroff" ] && break
    n=$((n + 1))
    echo "=== $(date -u +%FT%T.%3NZ) boot $n: resetting netns $NS_VPS"
    net_reset || { echo "net_reset failed"; break; }
    (
      mkdir -p "$CG"; echo "$BASHPID" > "$CG/cgroup.procs"
      export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 SYSTEMD_NSPAWN_API_VFS_WRITABLE=network
      exec systemd-nspawn -b -D "$S/merged" -M "$MACHINE" \
        --network-namespace-path="/run/netns/$NS_VPS" --register=no --keep-unit \
        --capability=all --drop-capability=CAP_SYS_MODULE --private-users=no \
        --link-journal=no --resolv-conf=off --timezone=off \
        --system-call-filter='@keyring bpf' --console=pipe \
        --bind="$S/docker:/var/lib/docker"
    ) </dev/null >>"$S/log/console.log" 2>&1 &
    echo $! > "$S/nspawn.pid"
    wait $!; rc=$?
    echo "=== $(date -u +%FT%T.%3NZ) boot $n: systemd-nspawn exited rc=$rc"
    [ $rc = 133 ] || break
  done
  rm -f "$S/nspawn.pid"
  echo "=== $(date -u +%FT%T.%3NZ) power loop ends"
}

start_loop() {
  rm -f "$S/poweroff" "$S/nspawn.pid"
  ( exec setsid bash "$LAB_SH" __loop ) </dev/null >>"$S/log/loop.log" 2>&1 &
  wait_for 10 "the power loop" pid_of "$S/loop.pid" || die "the power loop did not start"
}

# first boot only: image, containers (and per-variant docker network / ufw), as the VPS's owner would
first_boot_setup() {
  local cmd="trap 'exit 0' TERM; nc -ll -p $CONTAINER_PORT -e echo"
  gx docker import -c 'CMD ["/bin/sh"]' /var/lib/syslab/busybox.tar "$IMAGE" >/dev/null
  local c
  for c in c1 c2; do
    gx docker run -d --name $c --hostname $c --restart always "$IMAGE" sh -c "$cmd hello from $c & wait" >/dev/null
  done
  gx docker create --name c3 --hostname c3 "$IMAGE" sh -c "$cmd hello from c3 & wait" >/dev/null
  if [ "$LAB_VARIANT" = d28-networkd ]; then
    gx docker network create --ipv6 --subnet "$V6NET_SUBNET" v6net >/dev/null
    gx docker run -d --name v6c --hostname v6c --network v6net --restart always "$IMAGE" sh -c "$cmd hello from v6c & wait" >/dev/null
  fi
  if [ "$LAB_VARIANT" = ufw ]; then
    gx ufw allow 22/tcp >/dev/null
    gx ufw --force enable >/dev/null
    say "ufw: $(gx ufw status | head -1)"
  fi
  say "containers: $(gx docker ps -a --format '{{.Names}}={{.State}}' | sort | xargs)"
}

# ---------------------------------------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------------------------------------
cmd_up() {
  local t0 tb
  preflight
  load_config fresh
  validate_config
  t0=$(date +%s%N)
  say "up: prefix=$LAB_PREFIX variant=$LAB_VARIANT image=$LAB_IMAGE net=$LAB_NET uplink=$LAB_UPLINK gateway=$LAB_GATEWAY host=$LAB_HOST_ADDR"
  ( QUIET=1 cmd_down ) >/dev/null 2>&1 || ( cmd_down ) || die "could not remove the stale lab '$LAB_PREFIX'"
  if ! image_ok "$LAB_IMAGE"; then
    tb=$(date +%s%N); say "up: image $LAB_IMAGE is missing in $ROOTFS_CACHE: building it (takes minutes)"
    cmd_build "$LAB_IMAGE"; say "up: image built in $(since "$tb")"
  fi
  ensure_nspawn
  [ -x /usr/sbin/radvd ] || host_install radvd   # the provider router's radvd runs from the machine
  check_net_free
  LAB_DOCKER_PACKAGE=$(sed -n 's/^docker.io=//p' "$IMG_DIR/manifest")
  mkdir -p "$S/log"; chmod 700 "$S"
  save_config
  create_router
  mount_overlay
  prepare_disk
  say "up: router, overlay disk ($S/merged) and per-lab files ready"
  start_loop
  wait_for 10 "$RT_IF in the router" ip -n "$NS_UP" link show "$RT_IF"
  start_router_daemons
  wait_for 20 "the guest's PID 1" leader || { tail -20 "$S/log/console.log" >&2; die "systemd-nspawn did not start"; }
  say "up: nspawn pid $(cat "$S/nspawn.pid"), guest PID 1 = $(leader)"
  wait_guest up
  LAB_DOCKER_VERSION=$(gx docker version --format '{{.Server.Version}}'); save_config   # what 'docker version' reports
  say "up: docker $LAB_DOCKER_VERSION (package $LAB_DOCKER_PACKAGE), storage driver $(gx docker info --format '{{.Driver}}')"
  first_boot_setup
  wait_for 60 "containers with restart policy 'always'" restart_policy_running
  say "up: done in $(since "$t0"). ssh -i $S/keys/id_user -o UserKnownHostsFile=$S/known_hosts labuser@$MG6_VPS"
}

cmd_down() {  # best effort throughout: it must also clean up after a half-failed 'up'
  local p left="" i np l
  set +e; trap - ERR
  load_config 2>/dev/null || true
  : "${LAB_NET:=0}"
  # power off the guest (a clean shutdown), then whatever is left of our cgroup subtree
  if [ -d "$S" ]; then touch "$S/poweroff" 2>/dev/null || true; fi
  if l=$(leader 2>/dev/null); then
    [ "${QUIET:-0}" = 1 ] || say "down: powering off the guest (PID 1 = $l)"
    if gx systemctl poweroff >/dev/null 2>&1; then   # a clean shutdown takes < 1 s here (containers stop on TERM)
      for ((i = 0; i < 200; i++)); do pid_of "$S/nspawn.pid" >/dev/null || break; sleep 0.1; done
    fi
  fi
  if p=$(pid_of "$S/loop.pid"); then stop_pids 3 "$p"; fi
  if [ -d "$CG" ]; then
    [ -e "$CG/cgroup.kill" ] && echo 1 > "$CG/cgroup.kill" 2>/dev/null || true
    p=$(cg_pids); [ -z "$p" ] || { [ "${QUIET:-0}" = 1 ] || say "down: killing$(describe_pids $p)"; stop_pids 2 $p; }
  fi
  for p in "$S/router-radvd.pid" "$S/probe.pid"; do np=$(pid_of "$p") && stop_pids 3 "$np"; done
  p=$(netns_pids); [ -z "$p" ] || { [ "${QUIET:-0}" = 1 ] || say "down: stopping netns processes$(describe_pids $p)"; stop_pids 3 $p; }
  # network
  ip link del "$MGMT_ROOT" 2>/dev/null || true
  ip link del "$CLI_ROOT" 2>/dev/null || true
  ip -n "$NS_UP" link del "$RT_IF" 2>/dev/null || true
  [ -e "/run/netns/$NS_VPS" ] && ip netns del "$NS_VPS" 2>/dev/null
  [ -e "/run/netns/$NS_UP" ] && ip netns del "$NS_UP" 2>/dev/null
  if [ -n "${LAB_HOST_ADDR:-}" ]; then ip -6 route del "$(prefix64 "$LAB_HOST_ADDR")::/64" 2>/dev/null || true; fi
  [ -z "${PROBE_ADDR:-}" ] || ip -6 route del "$PROBE_ADDR/128" 2>/dev/null || true
  # mounts (the overlay, anything below the state dir), nspawn leftovers, the cgroup dir
  awk -v d="$S/" 'index($5, d) == 1 || $5 == substr(d, 1, length(d) - 1) {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
    umount -n "$m" 2>/dev/null || umount -n -l "$m" 2>/dev/null || warn "cannot unmount $m"; done
  rm -rf "/run/systemd/nspawn/propagate/$MACHINE" "/run/systemd/nspawn/unix-export/$MACHINE" 2>/dev/null || true
  rmdir /run/systemd/nspawn/propagate /run/systemd/nspawn/unix-export /run/systemd/nspawn/locks /run/systemd/nspawn 2>/dev/null || true
  if [ -d "$CG" ]; then find "$CG" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
  # the state
  if [ -d "$S" ]; then
    rm -rf --one-file-system "$S" 2>/dev/null || { sleep 1; rm -rf --one-file-system "$S"; }
  fi
  # what is left (should be nothing)
  [ -z "$(ip netns list | awk -v a="$NS_VPS" -v b="$NS_UP" '$1 == a || $1 == b')" ] || left+=" netns"
  ip link show "$MGMT_ROOT" >/dev/null 2>&1 && left+=" link:$MGMT_ROOT"
  ip link show "$CLI_ROOT" >/dev/null 2>&1 && left+=" link:$CLI_ROOT"
  grep -q " $S[/ ]" /proc/self/mountinfo && left+=" mounts"
  [ -d "$CG" ] && left+=" $CG"
  [ -e "/run/systemd/nspawn/propagate/$MACHINE" ] && left+=" /run/systemd/nspawn/propagate/$MACHINE"
  [ -e "$S" ] && left+=" $S"
  if [ -n "$left" ]; then warn "left over after down:$left"; return 1; fi
  [ "${QUIET:-0}" = 1 ] || say "down: nothing left (no netns, veth, routes, mounts, processes, cgroup, $S)"
}

cmd_reboot() {
  local old_boot old_l t0 l
  load_config
  old_l=$(leader) || die "the lab '$LAB_PREFIX' is not running"
  old_boot=$(boot_id)
  t0=$(date +%s%N)
  say "reboot: systemctl reboot (boot_id $old_boot)"
  gx systemctl reboot || true
  new_boot() { local l b; l=$(leader) || return 1; [ "$l" != "$old_l" ] || return 1; b=$(boot_id) || return 1; [ -n "$b" ] && [ "$b" != "$old_boot" ]; }
  wait_for 120 "the new boot" new_boot || { cmd_logs_short; die "the guest did not come back"; }
  say "reboot: new boot $(boot_id) (PID 1 = $(leader)) after $(since "$t0")"
  wait_guest reboot
  wait_for 60 "containers with restart policy 'always'" restart_policy_running
  say "containers: $(gx docker ps -a --format '{{.Names}}={{.State}}' | sort | xargs)"
  say "reboot: done in $(since "$t0")"
}

cmd_restart_dockerd() {
  local t0; load_config; t0=$(date +%s%N)
  gx systemctl restart docker.service
  wait_for 60 "docker" docker_up
  wait_for 60 "containers with restart policy 'always'" restart_policy_running
  say "restart-dockerd: done in $(since "$t0"); containers: $(gx docker ps -a --format '{{.Names}}={{.State}}' | sort | xargs)"
}

cmd_env() {
  load_config
  local up=0; leader >/dev/null 2>&1 && up=1
  kv() { if [[ $2 =~ ^[A-Za-z0-9_./:@%+,=-]*$ ]]; then printf '%s=%s\n' "$1" "$2"
         else printf "%s='%s'\n" "$1" "${2//\'/\'\\\'\'}"; fi; }
  kv LAB_PREFIX "$LAB_PREFIX"
  kv LAB_STATE "$S"
  kv LAB_UP "$up"
  kv LAB_SH "$LAB_SH"
  kv LAB_VARIANT "$LAB_VARIANT"
  kv LAB_IMAGE "$LAB_IMAGE"
  kv LAB_DOCKER_VERSION "$LAB_DOCKER_VERSION"
  kv LAB_DOCKER_PACKAGE "$LAB_DOCKER_PACKAGE"
  kv LAB_NS_VPS "$NS_VPS"
  kv LAB_NS_ROUTER "$NS_UP"
  kv LAB_NET "$LAB_NET"
  kv LAB_SSH6 "$MG6_VPS"
  kv LAB_SSH4 "$MG4_VPS"
  kv LAB_KEY_ROOT "$S/keys/id_root"
  kv LAB_KEY_USER "$S/keys/id_user"
  kv LAB_KEY_ENC "$S/keys/id_enc"
  kv LAB_KEY_ENC_PASSPHRASE "$KEY_PASSPHRASE"
  kv LAB_PWUSER_PASSWORD "$PWUSER_PASSWORD"
  kv LAB_KNOWN_HOSTS "$S/known_hosts"
  kv LAB_HOST_KEY_PUB "$S/merged/etc/ssh/ssh_host_ed25519_key.pub"
  kv LAB_UPLINK "$LAB_UPLINK"
  kv LAB_GATEWAY "$LAB_GATEWAY"
  kv LAB_HOST_ADDR "$LAB_HOST_ADDR"
  kv LAB_ROUTER_ADDR "$LAB_ROUTER_ADDR"
  kv LAB_PREFIX64 "$(prefix64 "$LAB_HOST_ADDR")::/64"
  kv LAB_BRIDGE "$BRIDGE"
  kv LAB_PROBE_ADDR "$PROBE_ADDR"
  kv LAB_PROBE_PORT "$PROBE_PORT"
  kv LAB_CONTAINER_PORT "$CONTAINER_PORT"
  kv LAB_CLIENT_ADDR "$CLI6_ROOT"
  kv LAB_HOSTFS "$S/merged"
}

cmd_status() {
  load_config
  local n p
  echo "lab $LAB_PREFIX (variant $LAB_VARIANT, image $LAB_IMAGE, docker $LAB_DOCKER_VERSION ($LAB_DOCKER_PACKAGE), state $S, net $LAB_NET)"
  for n in "$NS_UP" "$NS_VPS"; do
    if [ -e "/run/netns/$n" ]; then echo "  netns $n: present"; else echo "  netns $n: absent"; fi
  done
  for n in loop nspawn router-radvd probe; do
    if p=$(pid_of "$S/$n.pid"); then echo "  $n: pid $p"; else echo "  $n: not running"; fi
  done
  if p=$(leader); then echo "  guest PID 1: $p, $(gx systemctl is-system-running 2>/dev/null || true), boot_id $(boot_id)"; else echo "  guest: not running"; return 0; fi
  echo "  VPS IPv6 routes:"; ip -n "$NS_VPS" -6 route | sed 's/^/    /'
  echo "  VPS proxy neighbours:"; ip -n "$NS_VPS" -6 neigh show proxy | sed 's/^/    /'
  echo "  VPS forwarding=$(ip netns exec "$NS_VPS" cat /proc/sys/net/ipv6/conf/all/forwarding)" \
       "$LAB_UPLINK.accept_ra=$(ip netns exec "$NS_VPS" cat "/proc/sys/net/ipv6/conf/$LAB_UPLINK/accept_ra" 2>/dev/null)" \
       "$LAB_UPLINK.proxy_ndp=$(ip netns exec "$NS_VPS" cat "/proc/sys/net/ipv6/conf/$LAB_UPLINK/proxy_ndp" 2>/dev/null)"
  if docker_up; then echo "  containers:"; gx docker ps -a --format '{{.Names}}  {{.Status}}' | sort | sed 's/^/    /'; fi
}

cmd_logs_short() { echo "--- console (tail)" >&2; tail -20 "$S/log/console.log" >&2 2>/dev/null || true; }
cmd_logs() {
  load_config
  echo "=== $S/log/loop.log"; tail -20 "$S/log/loop.log" 2>/dev/null || true
  echo "=== $S/log/console.log"; tail -${LINES_TAIL:-60} "$S/log/console.log" 2>/dev/null || true
  echo "=== journal (guest)"; gx journalctl -b --no-pager -n "${LINES_TAIL:-60}" 2>/dev/null || true
  echo "=== router radvd"; tail -5 "$S/log/router-radvd.log" 2>/dev/null || true
}

cmd_tcp() {  # ADDR PORT [TRIES]
  local a=$1 port=$2 tries=${3:-1} try out rc=1
  for ((try = 1; try <= tries; try++)); do
    # connect from the root netns (source fd00:c7:N::1, route via the router); print what the listener sends
    out=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/$1/$2" || exit 2
                             IFS= read -r -t 4 line <&3 || [ -n "$line" ] || exit 3
                             printf "%s\n" "$line"; timeout 1 cat <&3 || true' sh "$a" "$port" 2>/dev/null) && [ -n "$out" ] && rc=0 || rc=1
    [ $rc = 0 ] && { printf '%s\n' "$out"; return 0; }
    [ $try -lt $tries ] && sleep 1
  done
  echo "syslab.sh: tcp [$a]:$port: no connection or no data ($tries tries)" >&2
  return 1
}

usage() { sed -n '5,7p' "$LAB_SH" | sed 's/^# \{0,1\}//' >&2; exit 2; }

main() {
  local cmd=${1:-}; [ $# -gt 0 ] && shift
  case $cmd in
    build) [ "$(id -u)" = 0 ] || die "run as root"; cmd_build "$@";;
    up) [ $# = 0 ] || usage; cmd_up;;
    down) [ $# = 0 ] || usage; [ "$(id -u)" = 0 ] || die "run as root"; t0=$(date +%s%N); cmd_down; say "down: took $(since "$t0")";;
    env) cmd_env;;
    status) cmd_status;;
    logs) cmd_logs;;
    vps) [ $# -gt 0 ] || usage; load_config; gx "$@" || exit $?;;
    router) [ $# -gt 0 ] || usage; [ -e "/run/netns/$NS_UP" ] || die "the lab '$LAB_PREFIX' is not up"
            ip netns exec "$NS_UP" "$@" || exit $?;;
    ping) [ $# = 1 ] || [ $# = 2 ] || usage; load_config; [ -e "/run/netns/$NS_UP" ] || die "the lab '$LAB_PREFIX' is not up"
          local try rc=1
          for ((try = 1; try <= ${2:-1}; try++)); do
            rc=0; ping -6 -c 2 -W 3 -I "$CLI6_ROOT" "$1" || rc=$?
            [ $rc = 0 ] && break
          done
          exit $rc;;
    tcp) [ $# = 2 ] || [ $# = 3 ] || usage; load_config; [ -e "/run/netns/$NS_UP" ] || die "the lab '$LAB_PREFIX' is not up"
         cmd_tcp "$@" || exit $?;;
    restart-container) [ $# = 1 ] || usage; load_config; gx docker restart "$1" || exit $?;;
    restart-dockerd) [ $# = 0 ] || usage; cmd_restart_dockerd;;
    reboot) [ $# = 0 ] || usage; cmd_reboot;;
    __loop) load_config; run_loop;;
    *) usage;;
  esac
}

# one line: bash must not read past it (the file may be edited while a lab command runs)
main "$@"; exit $?
