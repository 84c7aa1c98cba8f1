#!/bin/bash
# conoha-ipv6-agent: installed on the host by `conoha-ipv6 prepare` (as /usr/local/sbin/conoha-ipv6-agent)
# and run by the conoha-ipv6 systemd unit. It keeps what the kernel forgets: after a reboot it re-applies
# the host's IPv6 setup, and whenever Docker starts a container (docker restart, a dockerd restart, boot)
# it re-attaches the addresses recorded for that container. The host is the source of truth:
#   /etc/conoha-ipv6/host.conf   UPLINK, BRIDGE, GATEWAY, ADDRESSES (written by prepare)
#   /etc/conoha-ipv6/bindings    one "ADDRESS CONTAINER-NAME" per line (written by assign/release via this script)
# Usage: conoha-ipv6-agent boot | watch | start-watch | stop-watch | bind NAME ADDR | unbind ADDR | attach NAME
set -u
CIV6_DIR=/etc/conoha-ipv6
CIV6_CONF=$CIV6_DIR/host.conf
CIV6_BINDINGS=$CIV6_DIR/bindings
CIV6_RUN=/run/conoha-ipv6
CIV6_PIDFILE=$CIV6_RUN/watch.pid
CIV6_SELF=/usr/local/sbin/conoha-ipv6-agent

log() { printf 'conoha-ipv6-agent: %s\n' "$*" >&2; }
die() { log "$*"; exit "${2:-1}"; }
valid_name() { [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$ ]]; }
valid_ifname() { [[ $1 =~ ^[A-Za-z0-9_.-]{1,15}$ ]]; }
valid_addr() { [[ $1 =~ ^[0-9a-f:]{2,39}$ ]]; }

load_conf() {
  [ -r "$CIV6_CONF" ] || die "$CIV6_CONF is missing: run 'conoha-ipv6 prepare' for this host first" 2
  UPLINK='' BRIDGE='' GATEWAY='' ADDRESSES=''
  # shellcheck disable=SC1090
  . "$CIV6_CONF"
  valid_ifname "$UPLINK" && valid_ifname "$BRIDGE" && valid_addr "$GATEWAY" || die "$CIV6_CONF is damaged: run 'conoha-ipv6 prepare' again" 2
  local a; for a in $ADDRESSES; do valid_addr "$a" || die "$CIV6_CONF lists a bad address '$a'" 2; done
}

in_set() { local a; for a in $ADDRESSES; do [ "$a" = "$1" ] && return 0; done; return 1; }

# The kernel state of prepare: sysctls, the default route, a /128 route to the bridge and a proxy entry
# on the uplink for every address. Idempotent; run at boot and whenever dockerd (re)appears, since
# dockerd may recreate the bridge, and the routes through it go with it.
setup_host() {
  local a
  if [ -e "/proc/sys/net/ipv6/conf/$BRIDGE/disable_ipv6" ]; then
    echo 0 > "/proc/sys/net/ipv6/conf/$BRIDGE/disable_ipv6"   # newer Docker disables IPv6 on IPv4-only bridges
  fi
  echo 2 > "/proc/sys/net/ipv6/conf/$UPLINK/accept_ra"         # keep taking the default route from RAs as a router
  echo 1 > /proc/sys/net/ipv6/conf/all/forwarding
  echo 1 > "/proc/sys/net/ipv6/conf/$UPLINK/proxy_ndp"
  if [ -z "$(ip -6 route show default)" ]; then
    ip -6 route add default via "$GATEWAY" dev "$UPLINK" || log "could not add the default route via $GATEWAY dev $UPLINK"
  fi
  if ip link show dev "$BRIDGE" >/dev/null 2>&1; then
    for a in $ADDRESSES; do
      ip -6 route replace "$a/128" dev "$BRIDGE" || log "route $a/128 dev $BRIDGE failed"
    done
  else
    log "bridge $BRIDGE does not exist yet; routes wait for docker"
  fi
  for a in $ADDRESSES; do
    ip -6 neigh replace proxy "$a" dev "$UPLINK" || log "proxy entry $a dev $UPLINK failed"
  done
}

docker_ready() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
wait_docker() { local i; for i in $(seq "${1:-60}"); do docker_ready && return 0; sleep 1; done; return 1; }

# The interface inside the container whose veth peer is enslaved to the bridge (usually eth0).
container_ifname() {
  local pid=$1 line name peer
  while read -r line; do
    [[ $line =~ ^[0-9]+:\ ([^@:]+)@if([0-9]+): ]] || continue
    name=${BASH_REMATCH[1]} peer=${BASH_REMATCH[2]}
    if ip -o link show master "$BRIDGE" 2>/dev/null | grep -q "^$peer: "; then printf '%s\n' "$name"; return 0; fi
  done < <(nsenter -t "$pid" -n ip -o link show 2>/dev/null)
  return 1
}

# attach NAME ADDR: put ADDR on the container's bridge interface (enabling IPv6 there first, since Docker
# starts containers with it disabled), make sure the host routes and proxies it, and wait briefly for the
# container to learn its default route from radvd.
attach() {
  local name=$1 addr=$2 state pid ifn i
  state=$(docker inspect -f '{{.State.Running}} {{.State.Pid}}' "$name" 2>/dev/null) || { log "container $name does not exist"; return 3; }
  pid=${state#* }
  [ "${state%% *}" = true ] && [ "$pid" -gt 0 ] || { log "container $name is not running"; return 4; }
  ifn=$(container_ifname "$pid") || { log "container $name has no interface on bridge $BRIDGE"; return 5; }
  # where IPv6 is still off, skip duplicate address detection for the link-local it is about to get (a MAC-derived
  # address on a bridge Docker owns): the container then asks radvd for its default route a second sooner
  nsenter -t "$pid" -n sh -c "if [ \"\$(cat /proc/sys/net/ipv6/conf/$ifn/disable_ipv6)\" = 1 ]; then echo 0 > /proc/sys/net/ipv6/conf/$ifn/accept_dad; fi
    echo 0 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && echo 0 > /proc/sys/net/ipv6/conf/$ifn/disable_ipv6" || return 6
  nsenter -t "$pid" -n ip -6 addr replace "$addr/128" dev "$ifn" nodad || return 6
  ip -6 route replace "$addr/128" dev "$BRIDGE" || return 6
  ip -6 neigh replace proxy "$addr" dev "$UPLINK" || return 6
  for i in $(seq "${CIV6_WAIT_RA:-50}"); do
    nsenter -t "$pid" -n ip -6 route show default | grep -q 'proto ra' && break
    sleep 0.1
  done
  log "attached $addr to $name ($ifn in pid $pid)"
}

bound_to() { [ -r "$CIV6_BINDINGS" ] && awk -v a="$1" '$1 == a { print $2; exit }' "$CIV6_BINDINGS"; }

# Re-attach every address recorded for one container (given by name or id).
attach_container() {
  local name a n
  name=$(docker inspect -f '{{.Name}}' "$1" 2>/dev/null) || return 0
  name=${name#/}
  [ -r "$CIV6_BINDINGS" ] || return 0
  while read -r a n; do
    [ "$n" = "$name" ] && attach "$name" "$a"
  done < "$CIV6_BINDINGS"
  return 0
}

attach_all() {
  local a n
  [ -r "$CIV6_BINDINGS" ] || return 0
  while read -r a n; do
    [ -n "$a" ] || continue
    [ "$(docker inspect -f '{{.State.Running}}' "$n" 2>/dev/null)" = true ] && attach "$n" "$a"
  done < "$CIV6_BINDINGS"
  return 0
}

# Follow docker's container start events for ever; after every (re)connection to dockerd, setup_host and
# attach_all first, with --since covering the gap so that no start is missed.
watch() {
  local since id events_pid fifo=$CIV6_RUN/events.fifo
  mkdir -p "$CIV6_RUN"
  echo $$ > "$CIV6_PIDFILE"
  events_pid=''
  trap 'rm -f "$CIV6_PIDFILE" "$fifo"; [ -n "$events_pid" ] && kill "$events_pid" 2>/dev/null; exit 0' TERM INT
  while :; do
    until docker_ready; do sleep 1; done
    since=$(date +%s)
    setup_host
    attach_all
    log "watching docker container start events"
    rm -f "$fifo"; mkfifo -m 600 "$fifo"
    docker events --since "$since" --filter type=container --filter event=start --format '{{.ID}}' > "$fifo" 2>/dev/null &
    events_pid=$!
    while read -r id; do
      [[ $id =~ ^[0-9a-f]{12,64}$ ]] && attach_container "$id"
    done < "$fifo"
    wait "$events_pid" 2>/dev/null; events_pid=''
    log "lost docker events (dockerd stopped?); reconnecting"
    sleep 1
  done
}

watching() { [ -r "$CIV6_PIDFILE" ] && kill -0 "$(cat "$CIV6_PIDFILE")" 2>/dev/null; }

case "${1:-}" in
  boot) load_conf; wait_docker 60 || log "docker did not answer within 60 s"; setup_host; attach_all ;;
  setup) load_conf; setup_host ;;
  watch) load_conf; watch ;;
  start-watch) # hosts without systemd: run the watcher detached (it will not come back after a reboot)
    load_conf
    if watching; then exit 0; fi
    mkdir -p "$CIV6_RUN"
    setsid "$CIV6_SELF" watch </dev/null >>"$CIV6_RUN/watch.log" 2>&1 &
    for _ in $(seq 50); do watching && exit 0; sleep 0.1; done
    die "the watcher did not start; see $CIV6_RUN/watch.log" ;;
  stop-watch)
    if watching; then kill "$(cat "$CIV6_PIDFILE")"; fi ;;
  bind) # bind NAME ADDR: record the binding, then attach
    load_conf
    name=${2:-} addr=${3:-}
    valid_name "$name" && valid_addr "$addr" || die "usage: bind CONTAINER-NAME ADDRESS" 2
    in_set "$addr" || die "$addr is not one of this host's addresses" 2
    other=$(bound_to "$addr")
    [ -z "$other" ] || [ "$other" = "$name" ] || die "$addr is already bound to $other" 2
    attach "$name" "$addr" || exit $?
    if [ -z "$other" ]; then
      mkdir -p "$CIV6_DIR"; printf '%s %s\n' "$addr" "$name" >> "$CIV6_BINDINGS"
    fi ;;
  unbind) # unbind ADDR: forget the binding and take the address off the container if it runs
    load_conf
    addr=${2:-}
    valid_addr "$addr" || die "usage: unbind ADDRESS" 2
    name=$(bound_to "$addr")
    [ -n "$name" ] || die "$addr is not bound" 2
    tmp=$(mktemp "$CIV6_DIR/.bindings.XXXXXX")
    awk -v a="$addr" '$1 != a' "$CIV6_BINDINGS" > "$tmp" && mv "$tmp" "$CIV6_BINDINGS"
    state=$(docker inspect -f '{{.State.Running}} {{.State.Pid}}' "$name" 2>/dev/null) || state=''
    if [ "${state%% *}" = true ]; then
      pid=${state#* }
      ifn=$(container_ifname "$pid") && nsenter -t "$pid" -n ip -6 addr del "$addr/128" dev "$ifn" 2>/dev/null
    fi
    log "released $addr from $name" ;;
  attach) load_conf; attach_container "${2:?usage: attach CONTAINER}" ;;
  *) die "usage: conoha-ipv6-agent boot|watch|start-watch|stop-watch|bind NAME ADDR|unbind ADDR|attach CONTAINER" 2 ;;
esac
