#!/bin/bash
# lab.sh - a simulated ConoHa VPS "before our tool ran", built from network namespaces on this machine.
#
#   bash test/lab/lab.sh up | down | env | status | vps CMD... | router CMD... | ping ADDR [TRIES]
#                        | restart-container NAME | restart-dockerd | stop-dockerd | start-dockerd | reboot
#                        | containers N   (N extra idle containers x1..xN, for scale measurements)
#
# Topology (names carry $LAB_PREFIX so several labs can coexist; see README.md next to this file):
#   netns $LAB_PREFIX-up  : provider router. vps0 = $LAB_GATEWAY (its only link-local) + $LAB_ROUTER_ADDR/64,
#                           radvd: RA with router lifetime, prefix on-link, AdvAutonomous off.
#   netns $LAB_PREFIX-vps : the VPS. $LAB_UPLINK = $LAB_HOST_ADDR/64 (static, like DHCPv6), default route by RA;
#                           mgmt0 = fd00:c6:$LAB_NET::2/64 + 169.254.$LAB_NET.2/30 (sshd); dockerd -> docker0, c1 c2 c3.
#   root netns            : only the veth $LAB_PREFIX-m = fd00:c6:$LAB_NET::1/64 + 169.254.$LAB_NET.1/30.
# LAB_BASTION=1 (off by default) adds a jump host, and the VPS's sshd is then reachable only through it:
#   netns $LAB_PREFIX-bst : the bastion. up0 = fd00:c7:$LAB_NET::2/64 (veth $LAB_PREFIX-b = ::1 in the root ns),
#                           vps1 = fd00:c8:$LAB_NET::1/64 (veth bst0 = ::2 in the VPS); its own sshd and host key,
#                           its own /etc (users jump, otp; PAM asks otp for a one-time code: keyboard-interactive).
#   The VPS's sshd then listens on fd00:c8:$LAB_NET::2 only: the root ns has no route there, and mgmt0 refuses.
# Every VPS process (sshd and its sessions, dockerd, radvd, units) runs through in_vps: the VPS netns plus a
# private mount namespace in which /etc /root /home /usr/local /var/log /run are the lab's directories under
# $S/host (etc root home usr-local var-log run).
# The machine's own /etc, /root, /home, /usr/local, /var/log and /run are never written by anything "in the VPS".
set -Eeuo pipefail
shopt -s nullglob

LAB_SH=$(readlink -f "${BASH_SOURCE[0]}")
LAB_PREFIX=${LAB_PREFIX:-cv6lab}
S=/run/$LAB_PREFIX                      # state dir (keys, logs, pidfiles, the VPS's disk under host/)
NS_VPS=$LAB_PREFIX-vps
NS_UP=$LAB_PREFIX-up
NS_BST=$LAB_PREFIX-bst                  # LAB_BASTION=1: the jump host
BST_ROOT=$LAB_PREFIX-b                  # root-ns end of the bastion's veth
MGMT_ROOT=$LAB_PREFIX-m                 # root-ns end of the management veth
MGMT_VPS=mgmt0
RT_IF=vps0                              # router-ns end of the uplink veth
BRIDGE=docker0
DATA_ROOT=/var/lib/$LAB_PREFIX-docker   # the VPS's docker data-root: its "disk", kept across reboot
DOCKER=/usr/bin/docker                  # Debian's CLI (/usr/local/bin/docker is another, newer CLI)
IMAGE=$LAB_PREFIX/busybox
KEY_PASSPHRASE='lab passphrase'         # of $S/keys/id_enc
PWUSER_PASSWORD='lab password'          # pwuser's login password (sudo asks for it)
CONTAINER_CMD='trap "exit 0" TERM; while :; do sleep 1 & wait; done'   # exits at once on SIGTERM
VPS_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CONF_VARS="LAB_UPLINK LAB_GATEWAY LAB_HOST_ADDR LAB_ROUTER_ADDR LAB_NET LAB_RADVD_EXISTING LAB_BASTION"

# report the failing command (main shell only: failures inside $(...) surface at their assignment)
trap 'rc=$?; [ "$BASHPID" = $$ ] && echo "lab.sh: FAILED at line $LINENO: $BASH_COMMAND (exit $rc)" >&2' ERR
T0=$(date +%s%N)
say()  { local ms=$(( ($(date +%s%N) - T0) / 1000000 )); printf '[%3d.%03ds] %s\n' $((ms/1000)) $((ms%1000)) "$*"; }
warn() { echo "lab.sh: WARNING: $*" >&2; }
die()  { echo "lab.sh: ERROR: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------------------
# configuration: env vars at 'up'; saved in $S/config so later commands need only LAB_PREFIX
# ---------------------------------------------------------------------------------------------------------
load_config() {  # $1=fresh: ignore a saved config (used by 'up')
  local v saved=0
  for v in $CONF_VARS; do eval "local env_$v=\${$v-}"; done
  if [ "${1:-}" != fresh ] && [ -f "$S/config" ]; then
    # shellcheck disable=SC1091
    . "$S/config"; saved=1
    for v in $CONF_VARS; do
      local e; eval "e=\$env_$v"
      [ -n "$e" ] && [ "$e" != "${!v}" ] && warn "ignoring $v=$e: this lab was built with $v=${!v} (run 'up' to change it)"
    done
  fi
  if [ $saved = 0 ]; then
    LAB_UPLINK=${env_LAB_UPLINK:-ens3}
    LAB_GATEWAY=${env_LAB_GATEWAY:-fe80::1052:1}
    LAB_HOST_ADDR=${env_LAB_HOST_ADDR:-2001:db8:1301:814:157:7:235:12}
    LAB_ROUTER_ADDR=${env_LAB_ROUTER_ADDR:-2001:db8:1301:814::1}
    LAB_NET=${env_LAB_NET:-$(( $(printf %s "$LAB_PREFIX" | cksum | cut -d' ' -f1) % 200 + 20 ))}
    LAB_RADVD_EXISTING=${env_LAB_RADVD_EXISTING:-1}
    LAB_BASTION=${env_LAB_BASTION:-0}
  fi
  LAB_BASTION=${LAB_BASTION:-0}   # (a config saved before the bastion existed)
  MG6_ROOT=fd00:c6:$LAB_NET::1 MG6_VPS=fd00:c6:$LAB_NET::2
  BS6_ROOT=fd00:c7:$LAB_NET::1 BS6_BST=fd00:c7:$LAB_NET::2   # root ns <-> bastion
  IN6_BST=fd00:c8:$LAB_NET::1  IN6_VPS=fd00:c8:$LAB_NET::2   # bastion <-> VPS
  MG4_ROOT=169.254.$LAB_NET.1  MG4_VPS=169.254.$LAB_NET.2
  # stable MACs (a real VPS NIC keeps its MAC, so its link-local survives a reboot)
  local x; x=$(printf %02x "$LAB_NET")
  MAC_UPLINK=02:c6:1a:b0:$x:12 MAC_RT=02:c6:1a:b0:$x:01
}

save_config() {
  local v
  for v in $CONF_VARS; do printf "%s='%s'\n" "$v" "${!v}"; done > "$S/config"
}

validate_config() {
  [[ $LAB_PREFIX =~ ^[a-z][a-z0-9-]*$ ]] || die "LAB_PREFIX='$LAB_PREFIX': use lowercase letters, digits and '-' (it names a docker image too)"
  [ ${#MGMT_ROOT} -le 15 ] || die "LAB_PREFIX='$LAB_PREFIX' is too long: interface '$MGMT_ROOT' has ${#MGMT_ROOT} chars, Linux allows 15 (use at most 13 chars)"
  [ ${#LAB_UPLINK} -le 15 ] && [[ $LAB_UPLINK =~ ^[A-Za-z][A-Za-z0-9_.-]*$ ]] || die "LAB_UPLINK='$LAB_UPLINK' is not a valid interface name (<=15 chars)"
  case $LAB_UPLINK in lo|$MGMT_VPS|$BRIDGE|dmz0) die "LAB_UPLINK='$LAB_UPLINK' clashes with a lab interface";; esac
  [[ $LAB_NET =~ ^[0-9]+$ ]] && [ "$LAB_NET" -ge 1 ] && [ "$LAB_NET" -le 250 ] || die "LAB_NET='$LAB_NET' must be a number 1..250"
  [[ ${LAB_GATEWAY,,} == fe80:* ]] || die "LAB_GATEWAY='$LAB_GATEWAY' must be a link-local (fe80::/64) address"
  [[ $LAB_HOST_ADDR == *:* && $LAB_ROUTER_ADDR == *:* ]] || die "LAB_HOST_ADDR / LAB_ROUTER_ADDR must be IPv6 addresses"
  [[ $LAB_BASTION == [01] ]] || die "LAB_BASTION='$LAB_BASTION': 0 (no jump host, the default) or 1"
}

# ---------------------------------------------------------------------------------------------------------
# preflight: fail early and say which Debian package is missing
# ---------------------------------------------------------------------------------------------------------
preflight() {
  [ "$(uname -s)" = Linux ] || die "this lab needs Linux (network namespaces), not $(uname -s)"
  [ "$(id -u)" = 0 ] || die "run as root (it creates network namespaces, veths and a dockerd)"
  local missing="" pair bin pkg
  for pair in ip:iproute2 nsenter:util-linux unshare:util-linux setsid:util-linux utmpdump:util-linux \
              /usr/sbin/sshd:openssh-server ssh:openssh-client ssh-keygen:openssh-client radvd:radvd \
              dockerd:docker.io $DOCKER:docker.io containerd:containerd runc:runc busybox:busybox-static \
              ping:iputils-ping sudo:sudo useradd:passwd usermod:passwd chpasswd:passwd sysctl:procps \
              start-stop-daemon:dpkg timeout:coreutils cksum:coreutils tar:tar awk:mawk; do
    bin=${pair%%:*} pkg=${pair#*:}
    command -v "$bin" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin command -v "$bin" >/dev/null 2>&1 \
      || missing+=" $bin(apt-get install $pkg)"
  done
  [ -z "$missing" ] || die "missing binaries:$missing"
  [ -x /etc/init.d/radvd ] || die "/etc/init.d/radvd missing (apt-get install radvd)"
  ldd "$(command -v busybox)" >/dev/null 2>&1 && die "$(command -v busybox) is dynamically linked; the container image needs a static one (apt-get install busybox-static)"
  [ -e /proc/sys/net/ipv6 ] || die "the kernel has no IPv6"
  return 0
}

# ---------------------------------------------------------------------------------------------------------
# the VPS view
# ---------------------------------------------------------------------------------------------------------
# Runs inside the new mount+UTS namespace before the command. /run is bound last because $S lives under /run;
# "mount -n": no libmount utab, which would otherwise create /run/mount in the machine's real /run.
# Copies of mounts under /run and /var/lib (other namespaces' nsfs files, /run/netns, docker mounts) are dropped
# first: a long-lived VPS process holding them would keep those namespaces alive after they are deleted.
VPS_SETUP='
S=$1; shift
awk '\''$5 ~ "^/(run|var/lib)/" {print $5}'\'' /proc/self/mountinfo | sort -r | while read -r m; do umount -n -l "$m" 2>/dev/null; done
mount -n --bind "$S/host/etc" /etc && mount -n --bind "$S/host/root" /root && mount -n --bind "$S/host/home" /home &&
mount -n --bind "$S/host/usr-local" /usr/local && mount -n --bind "$S/host/var-log" /var/log || exit 121
# this machine ships a Docker-image style /usr/sbin/policy-rc.d ("exit 101") that makes invoke-rc.d (used by
# "/etc/init.d/radvd restart") refuse everything; a real VPS has none, so the VPS sees an "allow" one
if [ -e /usr/sbin/policy-rc.d ]; then mount -n --bind "$S/policy-rc.d" /usr/sbin/policy-rc.d || exit 121; fi
mount -n --bind "$S/host/run" /run || exit 121
cat /etc/hostname > /proc/sys/kernel/hostname 2>/dev/null
exec "$@"'

# in_vps CMD... : run CMD as root in the VPS (its netns + private filesystem view), with a login-like env.
# nsenter --net, not "ip netns exec": that one remounts /sys, which hides /sys/fs/cgroup from dockerd.
in_vps() {
  [ -e "/run/netns/$NS_VPS" ] || die "the lab '$LAB_PREFIX' is not up (no netns $NS_VPS)"
  env -i PATH=$VPS_PATH HOME=/root USER=root LOGNAME=root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
    nsenter --net="/run/netns/$NS_VPS" unshare -m -u --propagation slave sh -c "$VPS_SETUP" sh "$S" "$@"
}

# vps_bg LOG CMD... : start CMD detached (own session) in the VPS view; prints its pid. The exec chain
# setsid -> env -> nsenter -> unshare -> sh -> CMD keeps one pid, so $! is CMD's pid.
vps_bg() {
  local log=$1; shift
  ( exec setsid env -i PATH=$VPS_PATH HOME=/root USER=root LOGNAME=root LANG=C.UTF-8 \
      nsenter --net="/run/netns/$NS_VPS" unshare -m -u --propagation slave sh -c "$VPS_SETUP" sh "$S" "$@" \
  ) </dev/null >>"$log" 2>&1 &
  echo $!
}

dk() { DOCKER_HOST=unix://$S/host/run/docker.sock "$DOCKER" "$@"; }   # the VPS's dockerd, from the root ns

# ---------------------------------------------------------------------------------------------------------
# processes: only ever the lab's own (by netns, descendants, docker cgroups of our containers); never by name
# ---------------------------------------------------------------------------------------------------------
# alive PID: exists and is not a zombie (PID 1 here reaps orphans only every ~2 s; kill -0 counts zombies)
alive() { local st; st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; st=${st##*) }; [ -n "$st" ] && [ "${st%% *}" != Z ]; }

ns_ino() { stat -L -c %i "/run/netns/$1" 2>/dev/null || true; }
# netns inodes of the VPS (current + every earlier boot, recorded) or of the router
lab_inos() {
  local which=$1 ns
  case $which in vps) ns=$NS_VPS;; bastion) ns=$NS_BST;; *) ns=$NS_UP;; esac
  { ns_ino "$ns"; cat "$S/netns-ino.$which" 2>/dev/null || true; } | sort -u | xargs
}
record_ino() { ns_ino "$2" >> "$S/netns-ino.$1"; }

# cgroup members of this lab's containers (container processes live in their own netns)
container_cgroup_pids() {
  local id
  for id in $(ls "$DATA_ROOT/containers" 2>/dev/null || true); do
    cat /sys/fs/cgroup/*/docker/"$id"/cgroup.procs /sys/fs/cgroup/docker/"$id"/cgroup.procs 2>/dev/null || true
  done | sort -u | xargs
}

# lab_pids "INODES" [EXTRA_PIDS...]: live pids in those netns or in EXTRA, plus all their descendants.
# Never this script, its ancestors, or PID 1.
lab_pids() {
  local inos=$1; shift
  # (processes come and go while we read /proc: tolerate the errors)
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | sed -nE 's/^([0-9]+) \(.*\) (.) ([0-9]+) .*/S \1 \3 \2/p' \
  | { cat; [ -z "$inos" ] || find /proc/[0-9]*/ns/net -maxdepth 0 -printf 'N %p %l\n' 2>/dev/null || true; } | awk -v inos="$inos" -v extra="$*" -v self="$$" '
    BEGIN { n = split(inos, a, " "); for (i = 1; i <= n; i++) want["net:[" a[i] "]"] = 1
            n = split(extra, a, " "); for (i = 1; i <= n; i++) seed[a[i]] = 1 }
    $1 == "S" { pp[$2] = $3; st[$2] = $4; next }
    $1 == "N" && ($3 in want) { split($2, f, "/"); seed[f[3]] = 1 }
    END {
      for (p = self; p != "" && p != "0"; p = pp[p]) { no[p] = 1; if (!(p in pp)) break }
      no[1] = 1
      do { ch = 0; for (p in pp) if (!(p in seed) && (pp[p] in seed)) { seed[p] = 1; ch = 1 } } while (ch)
      for (p in seed) if ((p in st) && st[p] != "Z" && !(p in no)) print p }' | sort -n | xargs
}

# stop_pids GRACE PIDS... : TERM, wait up to GRACE s, KILL what is left, wait until gone
stop_pids() {
  local grace=$1 p left i; shift
  [ $# -gt 0 ] || return 0
  kill -TERM "$@" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    left=""; for p; do alive "$p" && left+=" $p"; done
    [ -z "$left" ] && return 0; sleep 0.1
  done
  # shellcheck disable=SC2086
  kill -KILL $left 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    left=""; for p; do alive "$p" && left+=" $p"; done
    [ -z "$left" ] && return 0; sleep 0.1
  done
  warn "still alive after SIGKILL:$left"
}

describe_pids() { local p; for p; do printf ' %s(%s)' "$p" "$(cat "/proc/$p/comm" 2>/dev/null)"; done; }

# kill_lab WHICH GRACE: stop every process of the VPS (vps) or router (up), repeating while new ones appear
kill_lab() {
  local which=$1 grace=$2 pids round
  for round in 1 2 3 4; do
    if [ "$which" = vps ]; then pids=$(lab_pids "$(lab_inos vps)" $(container_cgroup_pids))
    else pids=$(lab_pids "$(lab_inos "$which")"); fi
    [ -n "$pids" ] || return 0
    [ "${QUIET:-0}" = 1 ] || say "stopping $which processes:$(describe_pids $pids)"
    # shellcheck disable=SC2086
    stop_pids "$grace" $pids
  done
}

pid_of() { local f=$1 p; p=$(cat "$f" 2>/dev/null) || return 1; [ -n "$p" ] && alive "$p" && echo "$p"; }

# ---------------------------------------------------------------------------------------------------------
# waits
# ---------------------------------------------------------------------------------------------------------
# wait_for SECONDS WHAT CMD... : poll CMD every 0.1 s until it succeeds
wait_for() {
  local secs=$1 what=$2 i; shift 2
  for ((i = 0; i < secs * 10; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "lab.sh: timeout after ${secs}s waiting for $what" >&2; return 1
}
has_ra_default() { local r; r=$(ip -n "$NS_VPS" -6 route show default 2>/dev/null); [[ $r == *"via $LAB_GATEWAY dev $LAB_UPLINK proto ra"* ]]; }
has_any_default() { local r; r=$(ip -n "$NS_VPS" -6 route show default 2>/dev/null); [[ $r == *"via $LAB_GATEWAY dev $LAB_UPLINK"* ]]; }
no_tentative() { local r; r=$(ip -n "$1" -6 addr show tentative 2>/dev/null); [[ $r != *inet6* ]]; }
docker_up() { dk version --format '{{.Server.Version}}' >/dev/null 2>&1; }
# every container with restart policy "always" is running
restart_policy_running() {
  local ids line; ids=$(dk ps -aq) || return 1
  [ -n "$ids" ] || return 0
  # shellcheck disable=SC2086
  while read -r line; do [ "$line" = "always false" ] && return 1; done \
    < <(dk inspect -f '{{.HostConfig.RestartPolicy.Name}} {{.State.Running}}' $ids)
  return 0
}

# ---------------------------------------------------------------------------------------------------------
# first-time creation (only in 'up')
# ---------------------------------------------------------------------------------------------------------
check_net_free() {  # another lab (or anything else) must not use our mgmt subnets
  local a; a=$(ip -o addr show 2>/dev/null | awk -v me="$MGMT_ROOT" -v n="$LAB_NET" \
    '$2 != me && (index($4, "169.254." n ".") == 1 || index($4, "fd00:c6:" n "::") == 1 || index($4, "fd00:c7:" n "::") == 1) {print $2 " " $4; exit}')
  [ -z "$a" ] || die "LAB_NET=$LAB_NET is already used in the root netns ($a; another lab?): set LAB_NET=1..250 to a free one"
}

# the VPS's disk: a fresh copy of /etc, own /root /home /usr/local, and an empty /run
create_hostfs() {
  local H=$S/host
  mkdir -p "$H" "$S/log" "$S/keys"
  cp -a /etc "$H/etc"
  # a VPS "before our tool ran": none of the machine's radvd/ssh host keys/docker config/our tool's files
  rm -rf "$H/etc/radvd.conf" "$H"/etc/ssh/ssh_host_* "$H"/etc/ssh/sshd_config.d/* "$H/etc/docker/daemon.json" \
         "$H/etc/docker/key.json" "$H/etc/conoha-ipv6" "$H"/etc/sysctl.d/*conoha* "$H"/etc/systemd/system/conoha* \
         "$H"/etc/systemd/system/*.wants/conoha* "$H"/etc/sudoers.d/lab-*
  echo "$LAB_PREFIX-vps" > "$H/etc/hostname"
  cat > "$H/etc/hosts" <<EOF
127.0.0.1	localhost
127.0.1.1	$LAB_PREFIX-vps
::1		localhost ip6-localhost ip6-loopback
ff02::1		ip6-allnodes
ff02::2		ip6-allrouters
EOF
  # root's home: minimal dotfiles (the machine's /root/.bashrc runs pyenv: ~1 s per ssh command)
  mkdir -p "$H/root/.ssh" "$H/home"
  printf '%s\n' '# lab VPS root' '[ -z "$PS1" ] && return' 'PS1="\u@\h:\w\$ "' > "$H/root/.bashrc"
  printf '%s\n' '[ -n "$BASH" ] && [ -f ~/.bashrc ] && . ~/.bashrc' > "$H/root/.profile"
  chmod 700 "$H/root" "$H/root/.ssh"
  # /usr/local of a fresh Debian install: empty skeleton
  mkdir -p "$H/usr-local"/{bin,sbin,lib,etc,include,share/man,src,games}
  ln -s share/man "$H/usr-local/man"
  chmod -R 755 "$H/usr-local"
  mkdir -p "$H/run"
  # /var/log: sshd records pty logins in wtmp/lastlog; keep those (and any tool's logs) off the machine's /var/log
  mkdir -p "$H/var-log"; chmod 755 "$H/var-log"
  install -m 664 -g utmp /dev/null "$H/var-log/wtmp"; install -m 664 -g utmp /dev/null "$H/var-log/lastlog"
  install -m 660 -g utmp /dev/null "$H/var-log/btmp"; install -m 644 /dev/null "$H/var-log/faillog"
  # "allow everything" policy for invoke-rc.d inside the VPS (see VPS_SETUP)
  printf '#!/bin/sh\n# lab VPS: no service policy (the machine'"'"'s Docker-image policy-rc.d denies everything)\nexit 0\n' > "$S/policy-rc.d"
  chmod 755 "$S/policy-rc.d"
  # ssh: keys for the tests, a host key, our own sshd_config (read inside the view: /etc/ssh/...)
  ssh-keygen -q -t ed25519 -N '' -C "$LAB_PREFIX-root" -f "$S/keys/id_root"
  ssh-keygen -q -t ed25519 -N '' -C "$LAB_PREFIX-user" -f "$S/keys/id_user"
  ssh-keygen -q -t ed25519 -N "$KEY_PASSPHRASE" -C "$LAB_PREFIX-enc" -f "$S/keys/id_enc"
  ssh-keygen -q -t ed25519 -N '' -C "$LAB_PREFIX-vps" -f "$H/etc/ssh/ssh_host_ed25519_key"
  cat "$S/keys/id_root.pub" "$S/keys/id_enc.pub" > "$H/root/.ssh/authorized_keys"
  chmod 600 "$H/root/.ssh/authorized_keys"
  local listen="ListenAddress $MG6_VPS
ListenAddress $MG4_VPS"
  # behind the bastion: only its link; VERBOSE logs every connection (a test checks that none came)
  [ "$LAB_BASTION" = 1 ] && listen="ListenAddress $IN6_VPS
LogLevel VERBOSE"
  cat > "$H/etc/ssh/sshd_config" <<EOF
# lab VPS sshd (written by test/lab/lab.sh)
$listen
Port 22
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PrintMotd no
PrintLastLog no
MaxStartups 64
MaxSessions 32
AcceptEnv LANG LC_*
Subsystem sftp internal-sftp
EOF
  local hk; hk=$(cut -d' ' -f1,2 "$H/etc/ssh/ssh_host_ed25519_key.pub")
  printf '%s %s\n%s %s\n' "$MG6_VPS" "$hk" "$MG4_VPS" "$hk" > "$S/known_hosts"
  [ "$LAB_BASTION" = 1 ] && printf '%s %s\n' "$IN6_VPS" "$hk" >> "$S/known_hosts"
  # a pre-existing radvd.conf for another interface: the tool must keep this stanza
  if [ "$LAB_RADVD_EXISTING" = 1 ]; then
    cat > "$H/etc/radvd.conf" <<'EOF'
# pre-existing configuration (lab): adverts on another interface; must survive the tool's changes
interface dmz0 { AdvSendAdvert on; AdvDefaultLifetime 0; };
EOF
  fi
}

# users: labuser (passwordless sudo), pwuser (sudo with password). Written with the VPS's own tools into its /etc.
create_users() {
  in_vps sh -ec '
    useradd -l -m -s /bin/bash -c "lab user" labuser
    useradd -l -m -s /bin/bash -c "lab password user" -G sudo pwuser
    usermod -p "*" labuser                       # no password, but not locked ("!" blocks key login without PAM)
    printf "%s\n" "pwuser:$1" | chpasswd
    echo "labuser ALL=(ALL:ALL) NOPASSWD: ALL" > /etc/sudoers.d/lab-labuser
    chmod 440 /etc/sudoers.d/lab-labuser
    for u in labuser pwuser; do
      install -d -m 700 -o $u -g $u /home/$u/.ssh
      printf "%s\n" "$2" > /home/$u/.ssh/authorized_keys
      chown $u:$u /home/$u/.ssh/authorized_keys; chmod 600 /home/$u/.ssh/authorized_keys
    done' sh "$PWUSER_PASSWORD" "$(cat "$S/keys/id_user.pub")"
}

# the provider router: netns + forwarding; its link and radvd come with each VPS boot (link_uplink)
create_router() {
  ip netns add "$NS_UP"; record_ino up "$NS_UP"
  ip -n "$NS_UP" link set lo up
  ip netns exec "$NS_UP" sysctl -qw net.ipv6.conf.all.forwarding=1
}

# an offline busybox image (no registry) and the three containers
create_containers() {
  local R=$S/rootfs a
  if ! dk image inspect "$IMAGE" >/dev/null 2>&1; then
    rm -rf "$R"; mkdir -p "$R"/{bin,etc,proc,sys,dev,tmp,root,run}
    cp "$(command -v busybox)" "$R/bin/busybox"
    for a in $("$R/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$R/bin/$a"; done
    echo 'root:x:0:0:root:/root:/bin/sh' > "$R/etc/passwd"; echo 'root:x:0:' > "$R/etc/group"
    tar -C "$R" -c . | dk import -c 'CMD ["/bin/sh"]' - "$IMAGE" >/dev/null
    rm -rf "$R"
    say "image $IMAGE imported"
  fi
  # c1: Docker's default (IPv6 disabled in the container); c2: IPv6 enabled; c3: exists but never started
  dk run -d --name c1 --hostname c1 --restart always "$IMAGE" sh -c "$CONTAINER_CMD" >/dev/null
  dk run -d --name c2 --hostname c2 --restart always --sysctl net.ipv6.conf.all.disable_ipv6=0 \
     "$IMAGE" sh -c "$CONTAINER_CMD" >/dev/null
  dk create --name c3 --hostname c3 "$IMAGE" sh -c "$CONTAINER_CMD" >/dev/null
  say "containers c1 c2 running, c3 created"
}

# ---------------------------------------------------------------------------------------------------------
# the bastion (LAB_BASTION=1): a jump host in its own netns, with its own sshd, host key and /etc
# ---------------------------------------------------------------------------------------------------------
# its filesystem view: /etc /home /var/log /run are the lab's directories under $S/bastion (as VPS_SETUP does)
BST_SETUP='
S=$1; shift
awk '\''$5 ~ "^/(run|var/lib)/" {print $5}'\'' /proc/self/mountinfo | sort -r | while read -r m; do umount -n -l "$m" 2>/dev/null; done
mount -n --bind "$S/bastion/etc" /etc && mount -n --bind "$S/bastion/home" /home &&
mount -n --bind "$S/bastion/var-log" /var/log && mount -n --bind "$S/bastion/run" /run || exit 121
cat /etc/hostname > /proc/sys/kernel/hostname 2>/dev/null
exec "$@"'

in_bastion() {
  [ -e "/run/netns/$NS_BST" ] || die "the lab '$LAB_PREFIX' has no bastion (up with LAB_BASTION=1)"
  env -i PATH=$VPS_PATH HOME=/root USER=root LOGNAME=root LANG=C.UTF-8 \
    nsenter --net="/run/netns/$NS_BST" unshare -m -u --propagation slave sh -c "$BST_SETUP" sh "$S" "$@"
}

# the bastion's netns and its link to the root ns (its link to the VPS comes with each VPS boot: create_vps_links)
create_bastion_net() {
  ip netns add "$NS_BST"; record_ino bastion "$NS_BST"
  ip -n "$NS_BST" link set lo up
  ip link add "$BST_ROOT" type veth peer name up0 netns "$NS_BST"
  ip addr add "$BS6_ROOT/64" dev "$BST_ROOT" nodad
  ip link set "$BST_ROOT" up
  ip -n "$NS_BST" addr add "$BS6_BST/64" dev up0 nodad
  ip -n "$NS_BST" link set up0 up
}

# its disk: a copy of /etc with its own host key, sshd_config and PAM stack; users jump (key) and otp (key, then a
# one-time code asked through keyboard-interactive: PAM's pam_exec compares the answer with /etc/ssh/lab-otp)
create_bastion() {
  local B=$S/bastion hk
  [ -n "$S" ] && [ "$B" = "/run/$LAB_PREFIX/bastion" ] || die "bad state dir '$S'"
  mkdir -p "$B/home" "$B/var-log" "$B/run"
  install -d -m 755 "$B/run/sshd"
  cp -a /etc "$B/etc"
  rm -rf "$B"/etc/ssh/ssh_host_* "$B"/etc/ssh/sshd_config.d/* "$B"/etc/sudoers.d/lab-*
  echo "$LAB_PREFIX-bastion" > "$B/etc/hostname"
  ssh-keygen -q -t ed25519 -N '' -C "$LAB_PREFIX-bastion" -f "$B/etc/ssh/ssh_host_ed25519_key"
  printf '%06d\n' $(( $(od -An -N4 -tu4 /dev/urandom) % 1000000 )) > "$B/etc/ssh/lab-otp"
  chmod 600 "$B/etc/ssh/lab-otp"
  printf '%s\n' '#!/bin/sh' \
    '# lab bastion (pam_exec expose_authtok): the answer comes on stdin; right when it is the code in /etc/ssh/lab-otp' \
    "code=\$(tr -d '\\000\\n')" \
    '[ -n "$code" ] && [ "$code" = "$(cat /etc/ssh/lab-otp)" ]' > "$B/etc/ssh/lab-otp-check"
  chmod 755 "$B/etc/ssh/lab-otp-check"
  printf '%s\n' '# lab bastion: keyboard-interactive asks for the one-time code (see /etc/ssh/lab-otp-check)' \
    'auth     required pam_exec.so expose_authtok quiet /etc/ssh/lab-otp-check' \
    '# (pam_exec ignores setcred: a stack that only ignores it fails the login after the code was right)' \
    'auth     optional pam_permit.so' \
    'account  required pam_permit.so' \
    'session  required pam_permit.so' \
    'password required pam_deny.so' > "$B/etc/pam.d/sshd"
  printf '%s\n' '# lab bastion sshd (written by test/lab/lab.sh)' \
    "ListenAddress $BS6_BST" 'Port 22' 'HostKey /etc/ssh/ssh_host_ed25519_key' 'PermitRootLogin no' \
    'PubkeyAuthentication yes' 'PasswordAuthentication no' 'KbdInteractiveAuthentication yes' 'UsePAM yes' \
    'AuthenticationMethods publickey' 'AllowTcpForwarding yes' 'LogLevel VERBOSE' 'PrintMotd no' 'PrintLastLog no' \
    'MaxStartups 64' 'Match User otp' '  AuthenticationMethods publickey,keyboard-interactive' > "$B/etc/ssh/sshd_config"
  in_bastion sh -ec '
    for u in jump otp; do
      useradd -l -m -s /bin/sh -c "lab bastion $u" $u
      install -d -m 700 -o $u -g $u /home/$u/.ssh
      printf "%s\n" "$1" > /home/$u/.ssh/authorized_keys
      chown $u:$u /home/$u/.ssh/authorized_keys; chmod 600 /home/$u/.ssh/authorized_keys
    done' sh "$(cat "$S/keys/id_user.pub")"
  hk=$(cut -d' ' -f1,2 "$B/etc/ssh/ssh_host_ed25519_key.pub")
  printf '%s %s\n' "$BS6_BST" "$hk" >> "$S/known_hosts"
}

start_bastion_sshd() {
  in_bastion /usr/sbin/sshd -t || die "sshd -t rejected the bastion's sshd_config"
  rm -f "$S/bastion/run/sshd.pid"
  ( exec setsid env -i PATH=$VPS_PATH HOME=/root USER=root LOGNAME=root LANG=C.UTF-8 \
      nsenter --net="/run/netns/$NS_BST" unshare -m -u --propagation slave sh -c "$BST_SETUP" sh "$S" /usr/sbin/sshd -D -e \
  ) </dev/null >>"$S/log/bastion-sshd.log" 2>&1 &
  echo $! > "$S/bastion-sshd.pid"
  wait_for 10 "the bastion's sshd" pid_of "$S/bastion/run/sshd.pid" || { tail -5 "$S/log/bastion-sshd.log" >&2; die "the bastion's sshd did not start"; }
}


# ---------------------------------------------------------------------------------------------------------
# boot (shared by 'up' and 'reboot')
# ---------------------------------------------------------------------------------------------------------
# the VPS's "hardware": netns, uplink veth to the router, mgmt veth to the root ns, dummy dmz0
create_vps_links() {
  ip netns add "$NS_VPS"; record_ino vps "$NS_VPS"
  ip -n "$NS_VPS" link set lo up
  ip -n "$NS_VPS" link add "$LAB_UPLINK" address "$MAC_UPLINK" type veth peer name "$RT_IF" address "$MAC_RT" netns "$NS_UP"
  ip link add "$MGMT_ROOT" type veth peer name "$MGMT_VPS" netns "$NS_VPS"
  # dmz0: another NIC (a veth: this kernel has no dummy driver); its far end waits in the router ns, unused
  [ "$LAB_RADVD_EXISTING" = 1 ] && ip -n "$NS_VPS" link add dmz0 type veth peer name dmzpeer netns "$NS_UP"
  # the router's port: fe80 gateway as its ONLY link-local, the prefix, radvd
  ip -n "$NS_UP" link set "$RT_IF" addrgenmode none
  ip -n "$NS_UP" addr add "$LAB_GATEWAY/64" dev "$RT_IF" nodad
  ip -n "$NS_UP" addr add "$LAB_ROUTER_ADDR/64" dev "$RT_IF" nodad
  ip -n "$NS_UP" link set "$RT_IF" up
  # behind the bastion: the VPS's link to it (the bastion's end, vps1, goes with this netns at power-off)
  if [ "$LAB_BASTION" = 1 ]; then
    ip -n "$NS_VPS" link add bst0 type veth peer name vps1 netns "$NS_BST"
    ip -n "$NS_BST" addr add "$IN6_BST/64" dev vps1 nodad
    ip -n "$NS_BST" link set vps1 up
  fi
  # the management link (nodad: usable at once)
  ip addr add "$MG6_ROOT/64" dev "$MGMT_ROOT" nodad
  ip addr add "$MG4_ROOT/30" dev "$MGMT_ROOT"
  ip link set "$MGMT_ROOT" up
  return 0
}

start_router_radvd() {
  local p prefix
  if p=$(pid_of "$S/router-radvd.pid"); then stop_pids 5 "$p"; fi
  prefix=$(ip -n "$NS_UP" -o -6 route show dev "$RT_IF" | awk '$1 !~ /^fe80/ && $1 ~ /\/64$/ {print $1; exit}')
  [ -n "$prefix" ] || die "no /64 route for LAB_ROUTER_ADDR=$LAB_ROUTER_ADDR on the router"
  cat > "$S/router-radvd.conf" <<EOF
interface $RT_IF {
  AdvSendAdvert on;
  MinRtrAdvInterval 3;
  MaxRtrAdvInterval 10;
  prefix $prefix { AdvOnLink on; AdvAutonomous off; };
};
EOF
  rm -f "$S/router-radvd.pid"
  # nsenter --net (no new mount ns): "ip netns exec" would give this long-lived process a mount ns that keeps
  # a copy of /run/netns/$NS_VPS, so a deleted VPS netns (reboot) would live on with its veth
  nsenter --net="/run/netns/$NS_UP" radvd -C "$S/router-radvd.conf" -p "$S/router-radvd.pid" -m logfile -l "$S/log/router-radvd.log"
  wait_for 5 "router radvd pidfile" pid_of "$S/router-radvd.pid"
}

# /run of a fresh boot (tmpfs): privsep dir for sshd, runlevel 2 in utmp (sysvinit style, for invoke-rc.d)
init_run() {
  local R=$S/host/run
  mkdir -p "$R"; chmod 755 "$R"
  install -d -m 755 "$R/sshd"; install -d -m 1777 "$R/lock"
  printf '[1] [%d] [~~  ] [runlevel] [~           ] [%s] [0.0.0.0        ] [%s]\n' \
    $(( 50 + 256 * 78 )) "$(uname -r)" "$(date -u +%Y-%m-%dT%H:%M:%S,000000+00:00)" \
    | utmpdump -r > "$R/utmp" 2>/dev/null
  chmod 664 "$R/utmp"
}

# like systemd-sysctl: every /etc/sysctl.d/*.conf of the VPS in name order, line by line ("-" prefix: ignore
# errors). Pass "boot" runs before the links are up; a per-interface key whose interface does not exist yet
# (docker0...) is deferred to pass "late" (after dockerd), as udev would apply it when the interface appears.
# Only net.* keys are applied: the VPS shares the kernel, and kernel.*/vm.*/fs.* would change the real machine.
SYSCTL_SCRIPT='
pass=$1 deferred=/run/.lab-sysctl-deferred
apply() {  # FILE IGN KEY VALUE
  case $3 in
    net.*|net/*) ;;
    *) echo "lab: $1: $3 not applied (not a net.* key: it would change the real machine)"; return;;
  esac
  case $3 in */*) path=$3;; *) path=$(printf %s "$3" | tr . /);; esac
  if [ "$pass" = boot ] && [ ! -e "/proc/sys/$path" ] &&
     printf %s "$3" | grep -qE "^net[./]ipv[46][./](conf|neigh)[./]"; then
    echo "$1 ${2:-+} $3 $4" >> "$deferred"; return
  fi
  if [ "$2" = - ]; then sysctl -q -w "$3=$4" 2>/dev/null || true
  else sysctl -w "$3=$4" || echo "lab: $1: $3 failed"; fi
}
if [ "$pass" = boot ]; then
  rm -f "$deferred"
  for f in /etc/sysctl.d/*.conf; do
    [ -f "$f" ] || continue
    sed -E "/^[[:space:]]*([#;]|$)/d; s/^[[:space:]]*(-?)[[:space:]]*([^=[:space:]]+)[[:space:]]*=[[:space:]]*(.*[^[:space:]])?[[:space:]]*$/\1 \2 \3/" "$f" |
    while read -r ign key val; do
      [ "$ign" = - ] || { val="$key${val:+ $val}"; key=$ign; ign=""; }
      apply "$f" "$ign" "$key" "$val"
    done
  done
elif [ -f "$deferred" ]; then
  while read -r f ign key val; do [ "$ign" = + ] && ign=""; apply "$f" "$ign" "$key" "$val"; done < "$deferred"
  rm -f "$deferred"
fi'
apply_sysctl_d() {  # boot|late
  local out
  out=$(in_vps sh -c "$SYSCTL_SCRIPT" sh "$1" 2>&1) || true
  [ -z "$out" ] || { echo "$out" | sed "s/^/    sysctl.d ($1): /"; echo "$out" >> "$S/log/boot.log"; }
}

# network part of a boot: links, sysctls, addresses, links up
boot_net() {
  create_vps_links
  # a fresh VPS: not a router, accepts RAs on the uplink (kernel defaults; explicit for clarity)
  ip netns exec "$NS_VPS" sysctl -qw net.ipv6.conf.all.forwarding=0 "net.ipv6.conf.$LAB_UPLINK.accept_ra=1"
  init_run
  apply_sysctl_d boot
  # "networking": static address (as DHCPv6 would give), mgmt, dmz0
  ip -n "$NS_VPS" addr add "$LAB_HOST_ADDR/64" dev "$LAB_UPLINK"
  ip -n "$NS_VPS" addr add "$MG6_VPS/64" dev "$MGMT_VPS" nodad
  ip -n "$NS_VPS" addr add "$MG4_VPS/30" dev "$MGMT_VPS"
  ip -n "$NS_VPS" link set "$MGMT_VPS" up
  if [ "$LAB_BASTION" = 1 ]; then
    ip -n "$NS_VPS" addr add "$IN6_VPS/64" dev bst0 nodad
    ip -n "$NS_VPS" link set bst0 up
  fi
  [ "$LAB_RADVD_EXISTING" = 1 ] && ip -n "$NS_VPS" link set dmz0 up && ip -n "$NS_UP" link set dmzpeer up
  ip -n "$NS_VPS" link set "$LAB_UPLINK" up
  start_router_radvd
  say "VPS netns, links, sysctl.d and addresses ready"
}

start_sshd() {
  in_vps /usr/sbin/sshd -t || die "sshd -t rejected the VPS's /etc/ssh/sshd_config"
  rm -f "$S/host/run/sshd.pid"
  vps_bg "$S/log/sshd.log" /usr/sbin/sshd -D -e > "$S/sshd.pid"
  # sshd writes /run/sshd.pid only after it listens
  wait_for 10 "sshd" pid_of "$S/host/run/sshd.pid" || { tail -5 "$S/log/sshd.log" >&2; die "sshd did not start"; }
}

# dockerd in the VPS view: its defaults are then the VPS's /run/docker.sock, /run/docker.pid, /run/docker
# (exec-root), /etc/docker/daemon.json; only the data-root is moved (/var is shared with the machine)
start_dockerd() {
  mkdir -p "$DATA_ROOT"
  vps_bg "$S/log/dockerd.log" dockerd --data-root "$DATA_ROOT" > "$S/dockerd.pid"
  wait_for 60 "dockerd" docker_up || { tail -20 "$S/log/dockerd.log" >&2; die "dockerd did not start"; }
  apply_sysctl_d late   # per-interface keys for docker0 etc.
}

stop_dockerd() {
  local p shims i
  p=$(pid_of "$S/dockerd.pid") || return 0
  kill -TERM "$p"
  for ((i = 0; i < 600; i++)); do alive "$p" || break; sleep 0.1; done
  alive "$p" && { warn "dockerd did not stop in 60 s, killing it"; stop_pids 1 "$p"; }
  # its containerd-shims (orphans in the VPS netns) end with their containers
  for ((i = 0; i < 100; i++)); do
    shims=""; for p in $(lab_pids "$(lab_inos vps)"); do
      [[ $(readlink "/proc/$p/exe" 2>/dev/null) == */containerd* ]] && shims+=" $p"; done
    [ -z "$shims" ] && break; sleep 0.1
  done
  rm -f "$S/dockerd.pid"
}

# radvd the Debian way, if configured (its init script refuses while forwarding is 0)
start_vps_radvd() {
  [ -f "$S/host/etc/radvd.conf" ] || return 0
  local out; out=$(in_vps /etc/init.d/radvd start 2>&1) || warn "/etc/init.d/radvd start failed: $out"
  say "radvd: $(printf %s "$out" | tr -s "\n" " ")"
}

# enabled units of the VPS (regular files /etc/systemd/system/*.service with a multi-user.target.wants link):
# ExecStartPre= lines in order, then ExecStart= detached (Type=oneshot: in the foreground), as systemd would.
start_units() {
  local f name wants=$S/host/etc/systemd/system/multi-user.target.wants
  for f in "$S"/host/etc/systemd/system/*.service; do
    [ -f "$f" ] && [ ! -L "$f" ] || continue
    name=$(basename "$f" .service)
    [ -L "$wants/$name.service" ] || [ -e "$wants/$name.service" ] || continue
    start_unit "$name" "$f"
  done
}

# unit_exec LINE: strip systemd's exec prefixes (- @ + ! :), drop argv0 after '@'; sets EXEC and EXEC_IGNORE
unit_exec() {
  local v=$1 at=0 p a0 rest; EXEC_IGNORE=0
  while [[ $v == [-@+!:]* ]]; do
    case ${v:0:1} in -) EXEC_IGNORE=1;; @) at=1;; esac; v=${v:1}
  done
  if [ $at = 1 ]; then read -r p a0 rest <<< "$v"; v="$p $rest"; fi
  EXEC=$v
}

start_unit() {
  local name=$1 f=$2 log=$S/unit-$1.log key val type=simple rc pid
  local -a pre=() start=()
  while IFS=$'\t' read -r key val; do
    case $key in
      Type) type=$val;;
      ExecStartPre) if [ -z "$val" ]; then pre=(); else pre+=("$val"); fi;;
      ExecStart) if [ -z "$val" ]; then start=(); else start+=("$val"); fi;;
    esac
  done < <(sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta' "$f" | awk '
      { sub(/\r$/, "") }
      /^[ \t]*\[/ { sec = $0; gsub(/[ \t]/, "", sec); next }
      sec == "[Service]" && /^[ \t]*(Type|ExecStartPre|ExecStart)[ \t]*=/ {
        k = $0; sub(/[ \t]*=.*/, "", k); gsub(/[ \t]/, "", k)
        v = $0; sub(/^[^=]*=[ \t]*/, "", v); sub(/[ \t]+$/, "", v); print k "\t" v }')
  echo "=== $(date -u +%FT%TZ) boot: starting $name.service (Type=$type)" >> "$log"
  for val in "${pre[@]}"; do
    unit_exec "$val"
    rc=0; in_vps sh -c "$EXEC" >> "$log" 2>&1 < /dev/null || rc=$?
    echo "=== ExecStartPre=$val -> exit $rc" >> "$log"
    if [ $rc != 0 ] && [ $EXEC_IGNORE = 0 ]; then
      warn "unit $name: ExecStartPre=$val failed (exit $rc): not started (see $log)"; return 0
    fi
  done
  [ ${#start[@]} -gt 0 ] || { warn "unit $name: no ExecStart="; return 0; }
  if [ "$type" = oneshot ]; then
    for val in "${start[@]}"; do
      unit_exec "$val"
      rc=0; in_vps sh -c "$EXEC" >> "$log" 2>&1 < /dev/null || rc=$?
      echo "=== ExecStart=$val -> exit $rc" >> "$log"; echo "$rc" > "$S/unit-$name.rc"
      [ $rc = 0 ] || [ $EXEC_IGNORE = 1 ] || { warn "unit $name: ExecStart failed (exit $rc), see $log"; return 0; }
    done
    say "unit $name.service (oneshot) ran"
  else
    unit_exec "${start[0]}"
    pid=$(vps_bg "$log" sh -c "exec $EXEC")
    echo "$pid" > "$S/unit-$name.pid"
    say "unit $name.service started (pid $pid)"
  fi
}

# after a boot: the default route (RA unless the VPS now forwards), dockerd, restart-policy containers
wait_booted() {
  local fwd ara
  no_tentative "$NS_VPS" || wait_for 5 "DAD on the VPS" no_tentative "$NS_VPS" || true
  fwd=$(ip netns exec "$NS_VPS" cat /proc/sys/net/ipv6/conf/all/forwarding "/proc/sys/net/ipv6/conf/$LAB_UPLINK/forwarding" | sort -rn | head -1)
  ara=$(ip netns exec "$NS_VPS" cat "/proc/sys/net/ipv6/conf/$LAB_UPLINK/accept_ra")
  if [ "$fwd" = 0 ] || [ "$ara" = 2 ]; then
    wait_for 20 "the RA default route (via $LAB_GATEWAY dev $LAB_UPLINK proto ra)" has_ra_default \
      || { ip -n "$NS_VPS" -6 route >&2; die "no RA default route on the VPS"; }
  else
    # a forwarding VPS ignores RAs: only a route someone (our tool) added can be there
    wait_for "${LAB_BOOT_ROUTE_WAIT:-10}" "a default route via $LAB_GATEWAY (forwarding=1, RAs ignored)" has_any_default \
      || warn "no default route on the VPS (forwarding=1 and accept_ra=$ara ignore RAs; nothing re-added it)"
  fi
  say "VPS default route: $(ip -n "$NS_VPS" -6 route show default | head -1)"
  wait_for 60 "dockerd" docker_up
  wait_for 60 "containers with restart policy 'always'" restart_policy_running
  say "containers: $(dk ps -a --format '{{.Names}}={{.State}}' | sort | xargs)"
}

# ---------------------------------------------------------------------------------------------------------
# teardown pieces
# ---------------------------------------------------------------------------------------------------------
# unmount whatever is mounted below DIR in the root mount ns (deepest first); rm -rf must never cross into a mount
umount_below() {
  local d m
  for d; do
    awk -v d="$d/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
      umount -n -l "$m" 2>/dev/null || warn "cannot unmount $m"; done
  done
}

# delete the VPS netns. Its veths go first, explicitly: the kernel cleans up a deleted netns asynchronously
# (and not at all while something still references it), and their far ends in the router ns must be gone
# before the next boot recreates them.
del_vps_netns() {
  local l i
  if [ -e "/run/netns/$NS_VPS" ]; then
    for l in $(ip -n "$NS_VPS" -o link show type veth 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print $2}'); do
      ip -n "$NS_VPS" link del "$l" 2>/dev/null || true
    done
    ip netns del "$NS_VPS"
  fi
  ip link del "$MGMT_ROOT" 2>/dev/null || true
  [ -e "/run/netns/$NS_UP" ] || return 0
  ip -n "$NS_UP" link del "$RT_IF" 2>/dev/null || true
  ip -n "$NS_UP" link del dmzpeer 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    ip -n "$NS_UP" link show "$RT_IF" >/dev/null 2>&1 || ip -n "$NS_UP" link show dmzpeer >/dev/null 2>&1 || return 0
    sleep 0.1
  done
  warn "router-side veths still present after deleting $NS_VPS"
}

# power off the VPS: stop its processes (dockerd first, like a shutdown), drop every runtime bit, keep the disk
power_off() {
  [ -e "$S/dockerd.pid" ] && stop_dockerd
  kill_lab vps 10
  del_vps_netns
  umount_below "$S/host/run"
  rm -rf --one-file-system "$S/host/run"
  rm -f "$S/dockerd.pid" "$S/sshd.pid" "$S"/unit-*.pid "$S"/unit-*.rc
}

# ---------------------------------------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------------------------------------
cmd_down() {
  local ids="" inos_vps inos_up inos_bst left
  load_config
  inos_vps=$(lab_inos vps); inos_up=$(lab_inos up); inos_bst=$(lab_inos bastion)
  ids=$(ls "$DATA_ROOT/containers" 2>/dev/null | xargs) || true
  # containers first, while dockerd still runs (it then cleans up its veths, mounts and cgroups)
  if pid_of "$S/dockerd.pid" >/dev/null && docker_up; then
    local c; c=$(dk ps -aq | xargs)
    # shellcheck disable=SC2086
    [ -z "$c" ] || timeout 60 "$DOCKER" -H "unix://$S/host/run/docker.sock" rm -f $c >/dev/null || warn "docker rm -f failed"
  fi
  stop_dockerd
  kill_lab vps 5
  kill_lab up 5
  kill_lab bastion 5
  del_vps_netns
  ip netns del "$NS_UP" 2>/dev/null || true
  ip netns del "$NS_BST" 2>/dev/null || true
  ip link del "$BST_ROOT" 2>/dev/null || true
  umount_below "$S" "$DATA_ROOT"
  # (retry once: an interrupted 'up' may still have a 'cp -a /etc' writing into $S for a moment)
  rm -rf --one-file-system "$S" "$DATA_ROOT" 2>/dev/null || { sleep 1; rm -rf --one-file-system "$S" "$DATA_ROOT"; }
  # cgroups of our containers left by a hard kill (rmdir: only empty ones)
  local id; for id in $ids; do rmdir /sys/fs/cgroup/*/docker/"$id" /sys/fs/cgroup/docker/"$id" 2>/dev/null || true; done
  rmdir /sys/fs/cgroup/*/docker /sys/fs/cgroup/docker 2>/dev/null || true
  # empty dirs an earlier root-mount-ns dockerd/containerd-shim may have created outside their roots
  rmdir /run/docker/plugins /run/docker /run/containerd/s /run/containerd 2>/dev/null || true
  # /run/netns is created (and bind-mounted onto itself) by "ip netns add": drop it once no netns at all is left
  if [ -d /run/netns ] && [ -z "$(ls -A /run/netns)" ]; then
    umount -n /run/netns 2>/dev/null || true; rmdir /run/netns 2>/dev/null || true
  fi
  # report what is left (should be nothing)
  left=""
  [ -z "$(ip netns list | awk -v a="$NS_VPS" -v b="$NS_UP" -v c="$NS_BST" '$1 == a || $1 == b || $1 == c')" ] || left+=" netns"
  ip link show "$MGMT_ROOT" >/dev/null 2>&1 && left+=" link:$MGMT_ROOT"
  ip link show "$BST_ROOT" >/dev/null 2>&1 && left+=" link:$BST_ROOT"
  local p; p=$(lab_pids "$inos_vps $inos_up $inos_bst")
  [ -z "$p" ] || left+=" processes:$(describe_pids $p)"
  [ -e "$S" ] && left+=" $S"
  [ -e "$DATA_ROOT" ] && left+=" $DATA_ROOT"
  if [ -n "$left" ]; then warn "left over after down:$left"; return 1; fi
  say "down: nothing left (no netns, veth, processes, $S, $DATA_ROOT)"
}

cmd_up() {
  preflight
  load_config fresh
  validate_config
  say "up: prefix=$LAB_PREFIX net=$LAB_NET uplink=$LAB_UPLINK gateway=$LAB_GATEWAY"
  # a stale lab of the same prefix (subshells: down loads that lab's saved config); shows why if it fails
  ( QUIET=1 cmd_down ) >/dev/null 2>&1 || ( cmd_down ) || die "could not remove the stale lab '$LAB_PREFIX'"
  check_net_free
  mkdir -p "$S"; chmod 700 "$S"
  save_config
  create_hostfs
  say "VPS disk: $S/host (etc copied, users' homes, usr-local, keys)"
  create_router
  if [ "$LAB_BASTION" = 1 ]; then
    create_bastion_net
    create_bastion
    start_bastion_sshd
    say "bastion up: sshd (pid $(cat "$S/bastion/run/sshd.pid")) on $BS6_BST; the VPS's sshd only through it"
  fi
  boot_net
  create_users
  start_sshd
  say "sshd up (pid $(cat "$S/host/run/sshd.pid"))"
  start_dockerd
  say "dockerd up (pid $(cat "$S/dockerd.pid"))"
  create_containers
  start_units   # none yet on a fresh VPS; radvd is configured (dmz0) but deliberately not started
  wait_booted
  if [ "$LAB_BASTION" = 1 ]; then
    say "up: done. ssh -i $S/keys/id_root -o UserKnownHostsFile=$S/known_hosts -J jump@[$BS6_BST] root@$IN6_VPS   (jump's key: $S/keys/id_user)"
  else
    say "up: done. ssh -i $S/keys/id_root -o UserKnownHostsFile=$S/known_hosts root@$MG6_VPS   (or root@$MG4_VPS)"
  fi
}

cmd_reboot() {
  load_config
  [ -e "/run/netns/$NS_UP" ] && [ -d "$S/host/etc" ] || die "the lab '$LAB_PREFIX' is not up"
  say "reboot: powering off"
  power_off
  say "powered off (processes, netns, /run gone; disk kept)"
  boot_net
  start_sshd
  say "sshd up (pid $(cat "$S/host/run/sshd.pid"))"
  start_dockerd
  say "dockerd up (pid $(cat "$S/dockerd.pid"))"
  start_vps_radvd
  start_units
  wait_booted
  say "reboot: done"
}

cmd_restart_dockerd() {
  load_config
  pid_of "$S/dockerd.pid" >/dev/null || warn "dockerd was not running"
  stop_dockerd
  say "dockerd stopped"
  start_dockerd
  say "dockerd up (pid $(cat "$S/dockerd.pid"))"
  wait_for 60 "containers with restart policy 'always'" restart_policy_running
  say "containers: $(dk ps -a --format '{{.Names}}={{.State}}' | sort | xargs)"
}

# N extra running containers x1..xN (for scale measurements): the lab image, an idle sleep (no periodic forks),
# every other one with IPv6 enabled; started 8 at a time. Existing ones are kept; 'down' removes them all.
cmd_containers() {
  load_config
  docker_up || die "the lab '$LAB_PREFIX' has no running dockerd"
  local have i todo=()
  have=" $(dk ps -a --format '{{.Names}}' | xargs) "
  for ((i = 1; i <= $1; i++)); do [[ $have == *" x$i "* ]] || todo+=("$i"); done
  # shellcheck disable=SC2016
  [ ${#todo[@]} = 0 ] || printf '%s\n' "${todo[@]}" | xargs -P 8 -I{} sh -c '
    image=$1 i=$2; shift 2
    v6=; [ $((i % 2)) = 0 ] && v6="--sysctl net.ipv6.conf.all.disable_ipv6=0"
    exec "$@" run -d --name "x$i" --hostname "x$i" $v6 "$image" sh -c "trap \"exit 0\" TERM; sleep 2147483647 & wait" >/dev/null
  ' sh "$IMAGE" {} "$DOCKER" -H "unix://$S/host/run/docker.sock" || die "starting containers failed"
  say "containers: $(dk ps -q | wc -l) running"
}

# KEY=VALUE lines for tests (single-quoted where needed)
cmd_env() {
  load_config
  local up=0; [ -e "/run/netns/$NS_VPS" ] && up=1
  kv() { if [[ $2 =~ ^[A-Za-z0-9_./:@%+,=-]*$ ]]; then printf '%s=%s\n' "$1" "$2"
         else printf "%s='%s'\n" "$1" "${2//\'/\'\\\'\'}"; fi; }
  kv LAB_PREFIX "$LAB_PREFIX"
  kv LAB_STATE "$S"
  kv LAB_UP "$up"
  kv LAB_SH "$LAB_SH"
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
  kv LAB_HOST_KEY_PUB "$S/host/etc/ssh/ssh_host_ed25519_key.pub"
  kv LAB_UPLINK "$LAB_UPLINK"
  kv LAB_GATEWAY "$LAB_GATEWAY"
  kv LAB_HOST_ADDR "$LAB_HOST_ADDR"
  kv LAB_ROUTER_ADDR "$LAB_ROUTER_ADDR"
  kv LAB_BRIDGE "$BRIDGE"
  kv LAB_HOSTFS "$S/host"
  kv LAB_BASTION "$LAB_BASTION"
  if [ "$LAB_BASTION" = 1 ]; then
    kv LAB_NS_BASTION "$NS_BST"
    kv LAB_BASTION_SSH6 "$BS6_BST"
    kv LAB_VPS_INTERNAL6 "$IN6_VPS"
    kv LAB_BASTION_HOST_KEY_PUB "$S/bastion/etc/ssh/ssh_host_ed25519_key.pub"
    kv LAB_BASTION_USER jump
    kv LAB_BASTION_OTP_USER otp
    kv LAB_BASTION_OTP_FILE "$S/bastion/etc/ssh/lab-otp"
    kv LAB_BASTION_SSHD_LOG "$S/log/bastion-sshd.log"
    kv LAB_SSHD_LOG "$S/log/sshd.log"
  fi
}

cmd_status() {
  load_config
  local n p
  echo "lab $LAB_PREFIX  (state $S, net $LAB_NET)"
  for n in "$NS_UP" "$NS_VPS"; do
    if [ -e "/run/netns/$n" ]; then echo "  netns $n: $(ip netns pids "$n" 2>/dev/null | wc -l) processes"
    else echo "  netns $n: absent"; fi
  done
  for n in router-radvd:$S/router-radvd.pid sshd:$S/host/run/sshd.pid dockerd:$S/dockerd.pid \
           vps-radvd:$S/host/run/radvd/radvd.pid "$S"/unit-*.pid; do
    [[ $n == *:* ]] || n=$(basename "$n" .pid):$n
    if p=$(pid_of "${n#*:}"); then echo "  ${n%%:*}: pid $p"; else echo "  ${n%%:*}: not running"; fi
  done
  [ -e "/run/netns/$NS_VPS" ] || return 0
  echo "  VPS IPv6 routes:"; ip -n "$NS_VPS" -6 route | sed 's/^/    /'
  echo "  VPS proxy neighbours:"; ip -n "$NS_VPS" -6 neigh show proxy | sed 's/^/    /'
  echo "  VPS forwarding=$(ip netns exec "$NS_VPS" cat /proc/sys/net/ipv6/conf/all/forwarding)" \
       "$LAB_UPLINK.proxy_ndp=$(ip netns exec "$NS_VPS" cat "/proc/sys/net/ipv6/conf/$LAB_UPLINK/proxy_ndp" 2>/dev/null)"
  if docker_up; then echo "  containers:"; dk ps -a --format '{{.Names}}  {{.Status}}' | sort | sed 's/^/    /'; fi
}

usage() {
  sed -n '2,6p' "$LAB_SH" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

main() {
  local cmd=${1:-}; [ $# -gt 0 ] && shift
  case $cmd in
    up) [ $# = 0 ] || usage; cmd_up;;
    down) [ $# = 0 ] || usage; [ "$(id -u)" = 0 ] || die "run as root"; cmd_down;;
    env) cmd_env;;
    status) cmd_status;;
    # these pass the command's exit status through (a failure there is an answer, not a lab error)
    vps) [ $# -gt 0 ] || usage; load_config; in_vps "$@" || exit $?;;
    router) [ $# -gt 0 ] || usage; [ -e "/run/netns/$NS_UP" ] || die "the lab '$LAB_PREFIX' is not up"
            ip netns exec "$NS_UP" "$@" || exit $?;;
    ping) [ $# = 1 ] || [ $# = 2 ] || usage; [ -e "/run/netns/$NS_UP" ] || die "the lab '$LAB_PREFIX' is not up"
          # optional TRIES: repeat (a freshly attached address may need a few seconds, see README)
          local try rc=1
          for ((try = 1; try <= ${2:-1}; try++)); do
            rc=0; nsenter --net="/run/netns/$NS_UP" ping -6 -c 2 -W 3 "$1" || rc=$?
            [ $rc = 0 ] && break
          done
          exit $rc;;
    restart-container) [ $# = 1 ] || usage; load_config; in_vps docker restart "$1" || exit $?;;
    restart-dockerd) [ $# = 0 ] || usage; cmd_restart_dockerd;;
    containers) [ $# = 1 ] && [[ $1 =~ ^[0-9]{1,4}$ ]] || usage; cmd_containers "$1";;
    stop-dockerd) [ $# = 0 ] || usage; load_config; stop_dockerd; say "dockerd stopped";;
    start-dockerd) [ $# = 0 ] || usage; cmd_restart_dockerd;;
    reboot) [ $# = 0 ] || usage; cmd_reboot;;
    *) usage;;
  esac
}

# one line: bash must not read past it (the file may be edited while a lab command runs)
main "$@"; exit $?
