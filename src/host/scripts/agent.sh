#!/bin/bash
# conoha-ipv6-agent: installed on the host by `conoha-ipv6 prepare` (as /usr/local/sbin/conoha-ipv6-agent)
# and run by the conoha-ipv6 systemd unit. It keeps what the kernel forgets: after a reboot it re-applies
# the host's IPv6 setup, and whenever Docker starts a container (docker restart, a dockerd restart, boot)
# it re-attaches the addresses recorded for that container. The host is the source of truth:
#   $CIV6_HOST_CONF  UPLINK, BRIDGE, GATEWAY, ADDRESSES, ROUTE, ALLOW, FIREWALL, FORWARD_POLICY (written by prepare)
#   $CIV6_BINDINGS   one "ADDRESS CONTAINER-NAME [CONTAINER-ID [NETWORK [assign|label]]]" per line (written by
#                    assign/release via this script, and by this script for containers with a conoha-ipv6.address
#                    label); both in the format of src/core/hostState.ts
# The bindings file is the one source of truth: a label is a request the agent turns into a binding (source
# "label") when the container starts, and removes when the container is removed. A binding made with assign wins:
# a container that holds an address by assign keeps it, whatever its label says. A label naming an address another
# container holds, or one outside the set, is refused (logged; verify shows it) and nothing is changed.
# Any Docker bridge network works: a binding's address is routed to its network's bridge (docker0, br-<id>, or the
# network's com.docker.network.bridge.name), and radvd advertises on every such bridge (blocks this agent adds to
# /etc/radvd.conf and removes when no binding uses the bridge).
# Nothing read from Docker or from inside a container reaches a shell as code: names, ids, interface names
# and MAC addresses are validated like the client validates what it sends, and passed as arguments.
# Usage: conoha-ipv6-agent boot | watch | start-watch | stop-watch | bind NAME ADDR [NETWORK] | unbind ADDR | attach ID
# The installed file starts with the generated host contract (src/core/hostPreamble.ts): the CIV6_* paths and exit
# codes, the civ6_valid_* checks and the readers of host.conf and the bindings file (civ6_conf_load,
# civ6_bindings_read), which check every value and never source the file.
set -u

log() { printf 'conoha-ipv6-agent: %s\n' "$*" >&2; }
die() { log "$1"; exit "${2:-1}"; }
ip6t() { ip6tables -w 10 "$@"; }

# One lock per host around every change (bind, unbind, setup, re-attach): a second client waits, then says who holds it.
with_lock() {
  mkdir -p "$CIV6_RUN_DIR"
  exec 8>>"$CIV6_LOCK"
  if ! flock -w "${CIV6_LOCK_WAIT:-30}" 8; then
    die "another conoha-ipv6 change is running on this host (lock $CIV6_LOCK held by: $(cat "$CIV6_LOCK.who" 2>/dev/null || echo unknown)); try again" "$CIV6_EXIT_BUSY"
  fi
  printf 'pid %s (%s) since %s\n' "$$" "$1" "$(date -u +%FT%TZ)" > "$CIV6_LOCK.who"
}

# UPLINK BRIDGE GATEWAY ADDRESSES ROUTE ALLOW FIREWALL FORWARD_POLICY from host.conf, each value checked
load_conf() {
  [ -r "$CIV6_HOST_CONF" ] || die "$CIV6_HOST_CONF is missing: prepare this host first" "$CIV6_EXIT_REFUSED"
  civ6_conf_load "$CIV6_HOST_CONF" || die "$CIV6_HOST_CONF is damaged: prepare the host again" "$CIV6_EXIT_REFUSED"
}

# the bindings, checked line by line (nothing, and a message, when the file is damaged)
bindings() { civ6_bindings_read "$CIV6_BINDINGS" || log "$CIV6_BINDINGS is damaged: correct or remove the bad line"; }

# Firewall: the narrowest rules that let traffic to and from the addresses through the bridge (ALLOW is the
# /124, or one /128 per address). DOCKER-USER whenever Docker manages ip6tables (Docker turns the FORWARD policy
# to DROP as soon as anything enables IPv6 forwarding; it keeps DOCKER-USER's rules across its own restarts, not
# across a reboot); the FORWARD chain itself when prepare found it dropping and nothing else manages it. ufw keeps
# its own route rules (ufw route allow, written by prepare) across reboots, so nothing to do for it here.
fw_rules() { # fw_rules CHAIN: the rule specs, one per line: for the host's bridge and every bridge a binding uses
  local n br
  for br in $BRIDGE $(used_bridges); do
    for n in $ALLOW; do
      printf '%s\n' "$1 -o $br -d $n -m comment --comment $CIV6_MARK_RULE_COMMENT -j ACCEPT" "$1 -i $br -s $n -m comment --comment $CIV6_MARK_RULE_COMMENT -j ACCEPT"
    done
  done
}
ensure_firewall() {
  command -v ip6tables >/dev/null 2>&1 || return 0
  local chain spec mode
  for chain in DOCKER-USER FORWARD; do
    if [ $chain = FORWARD ]; then
      mode=''; for m in $FIREWALL; do [ "$m" = forward ] && mode=1; done
      [ -n "$mode" ] || continue
    else
      ip6t -S DOCKER-USER >/dev/null 2>&1 || continue
    fi
    while read -r spec; do
      [ -n "$spec" ] || continue
      # shellcheck disable=SC2086
      ip6t -C $spec 2>/dev/null || ip6t -I $spec || log "ip6tables -I $spec failed"
    done < <(fw_rules $chain)
  done
  # the host's own posture, after our rules are in: a FORWARD policy of DROP before us stays DROP (Docker 28 sets
  # it only when it turns forwarding on itself, which our boot-time sysctl now does first)
  if [ "$FORWARD_POLICY" = DROP ] && ip6t -S FORWARD 2>/dev/null | grep -qx -- '-P FORWARD ACCEPT'; then
    ip6t -P FORWARD DROP && log "ip6tables FORWARD policy set back to DROP, as it was before conoha-ipv6"
  fi
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
  if [ "$ROUTE" != static ]; then
    echo 2 > "/proc/sys/net/ipv6/conf/$UPLINK/accept_ra"       # keep taking the default route from RAs as a router
  fi                                                           # (a static default route is the network manager's)
  echo 1 > /proc/sys/net/ipv6/conf/all/forwarding
  echo 1 > "/proc/sys/net/ipv6/conf/$UPLINK/proxy_ndp"
  # a fallback default route when there is none, at a metric of its own (2048): the kernel's RA route (1024) or
  # the network manager's can still be installed beside it when they come, instead of failing as a duplicate
  if [ -z "$(ip -6 route show default)" ]; then
    ip -6 route add default via "$GATEWAY" dev "$UPLINK" metric 2048 || log "could not add the default route via $GATEWAY dev $UPLINK"
  fi
  # each address to its binding's bridge (when that network exists), every other one to the host's bridge
  local br
  for a in $ADDRESSES; do
    br=$(bridge_of_address "$a") || br=$BRIDGE
    if ip link show dev "$br" >/dev/null 2>&1; then
      ip -6 route replace "$a/128" dev "$br" || log "route $a/128 dev $br failed"
    fi
  done
  ip link show dev "$BRIDGE" >/dev/null 2>&1 || log "bridge $BRIDGE does not exist yet; routes wait for docker"
  for a in $ADDRESSES; do
    ip -6 neigh replace proxy "$a" dev "$UPLINK" || log "proxy entry $a dev $UPLINK failed"
  done
  ensure_firewall
}

# net_bridge NETWORK: the host bridge of a Docker network (its com.docker.network.bridge.name option, else
# br-<id>); fails with the reason in NET_WHY for a network that is missing, not a bridge, or internal
net_bridge() {
  local info drv int id opt
  NET_WHY=''
  if [ -z "$1" ] || [ "$1" = - ]; then printf '%s\n' "$BRIDGE"; return 0; fi
  civ6_valid_network_name "$1" || { NET_WHY="bad network name"; return 1; }
  info=$(docker network inspect -f '{{.Driver}} {{.Internal}} {{.Id}} {{with index .Options "com.docker.network.bridge.name"}}{{.}}{{end}}' -- "$1" 2>/dev/null) || { NET_WHY="network $1 does not exist"; return 1; }
  read -r drv int id opt _ <<<"$info"
  [ "$drv" = bridge ] || { NET_WHY="network $1 is not a bridge network (driver ${drv:0:32}): only bridge networks can be routed to"; return 1; }
  [ "$int" = false ] || { NET_WHY="network $1 is internal (no way in or out)"; return 1; }
  [ -n "$opt" ] || opt=br-${id:0:12}
  civ6_valid_ifname "$opt" || { NET_WHY="network $1 has a bad bridge name"; return 1; }
  printf '%s\n' "$opt"
}

# the bridge the address's binding is on (fails for an unbound address or a network that is gone)
bridge_of_address() {
  local a n i w s
  while read -r a n i w s; do
    [ "$a" = "$1" ] || continue
    net_bridge "$w" 2>/dev/null; return
  done < <(bindings)
  return 1
}

# pick_network ID: the network an address goes on when none is named: the container's network on the host's
# bridge, else its first usable bridge network (in name order)
pick_network() {
  local n first='' br
  while read -r n; do
    civ6_valid_network_name "$n" || continue
    br=$(net_bridge "$n") || continue
    [ "$br" = "$BRIDGE" ] && { printf '%s\n' "$n"; return 0; }
    [ -n "$first" ] || first=$n
  done < <(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{"\n"}}{{end}}' "$1" 2>/dev/null | sort)
  [ -n "$first" ] && printf '%s\n' "$first"
}

# radvd advertises on the bridge of every network a binding uses: one managed block per bridge besides prepare's
# (for the host's bridge); blocks of bridges no binding uses any more are taken out. radvd reloads on a change.
# the bridges (other than the host's) of the networks bindings use, that exist now: one per line
used_bridges() {
  local a n i w s br want=' '
  while read -r a n i w s; do
    [ "$w" != - ] || continue
    br=$(net_bridge "$w" 2>/dev/null) || continue
    [ "$br" != "$BRIDGE" ] || continue
    ip link show dev "$br" >/dev/null 2>&1 || continue
    [[ $want == *" $br "* ]] || want+="$br "
  done < <(bindings)
  for br in $want; do printf '%s\n' "$br"; done
}

sync_radvd() { # sync_radvd [BRIDGE]: also BRIDGE (a binding being made: its container asks for its route now)
  local br want tmp base p
  [ -f "$CIV6_RADVD_CONF" ] || return 0
  want=$(used_bridges)
  if [ -n "${1:-}" ] && [ "$1" != "$BRIDGE" ] && ! printf '%s\n' "$want" | grep -qx -- "$1"; then want+=$'\n'$1; fi
  base=$(awk '/^# BEGIN conoha-ipv6 network / { skip = 1 } !skip { print } skip && /^# END conoha-ipv6$/ { skip = 0 }' "$CIV6_RADVD_CONF") || return 1
  tmp=$(mktemp "$CIV6_RADVD_CONF.civ6.XXXXXX") || return 1
  {
    [ -z "$base" ] || printf '%s\n' "$base"
    for br in $want; do
      echo 0 > "/proc/sys/net/ipv6/conf/$br/disable_ipv6" 2>/dev/null   # Docker turns IPv6 off on IPv4-only bridges
      # a stanza of the user's own for this bridge serves
      printf '%s\n' "$base" | grep -Eq "^[[:space:]]*interface[[:space:]]+$br[[:space:]]*[{]" && continue
      printf '# BEGIN conoha-ipv6 network %s (added by conoha-ipv6-agent while a binding uses it)\ninterface %s {\n  AdvSendAdvert on;\n};\n# END conoha-ipv6\n' "$br" "$br"
    done
  } > "$tmp"
  if cmp -s "$tmp" "$CIV6_RADVD_CONF"; then rm -f "$tmp"; return 0; fi
  chmod 0644 "$tmp" && mv -f "$tmp" "$CIV6_RADVD_CONF" || { rm -f "$tmp"; return 1; }
  log "radvd now advertises on $BRIDGE${want:+ }$(printf "%s " $want)"
  systemctl reload radvd 2>/dev/null || systemctl restart radvd 2>/dev/null || { p=$(civ6_radvd_pids); p=${p//[^0-9,]/}; [ -z "$p" ] || kill -HUP ${p//,/ }; }
  return 0
}

docker_ready() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
wait_docker() { local i; for i in $(seq "${1:-60}"); do docker_ready && return 0; sleep 1; done; return 1; }

# The interface inside the container whose veth peer is enslaved to the bridge (usually eth0), and its MAC.
# Both come from inside the container, which may have renamed its interfaces (NET_ADMIN): validated here,
# and only ever passed as arguments.
container_if() { # container_if PID [BRIDGE]
  local pid=$1 bridge=${2:-$BRIDGE} line name peer mac
  while read -r line; do
    [[ $line =~ ^[0-9]+:\ ([^@:]+)@if([0-9]+):.*link/ether\ ([0-9a-f:]{17}) ]] || continue
    name=${BASH_REMATCH[1]} peer=${BASH_REMATCH[2]} mac=${BASH_REMATCH[3]}
    civ6_valid_ifname "$name" && civ6_valid_mac "$mac" || { log "pid $pid: ignoring an interface with a bad name or MAC"; continue; }
    if ip -o link show master "$bridge" 2>/dev/null | grep -q "^$peer: "; then printf '%s %s\n' "$name" "$mac"; return 0; fi
  done < <(nsenter -t "$pid" -n ip -o link show 2>/dev/null)
  return 1
}

# attach NAME ADDR: put ADDR on the container's bridge interface (enabling IPv6 there first, since Docker
# starts containers with it disabled, and disables it again at every network connect), make sure the host
# routes and proxies it, point the host's neighbour entry at the container's current MAC (newer Docker gives a
# restarted container a new random MAC; a stale entry would blackhole inbound TCP until it expires), and wait
# briefly for the container to learn its default route from radvd.
attach() { # attach NAME-OR-ID ADDR [NETWORK]
  local name=$1 addr=$2 net=${3:--} br state pid ifn mac i
  net_bridge "$net" >/dev/null || { log "refused: $addr for $name: $NET_WHY"; return "$CIV6_EXIT_NO_INTERFACE"; }
  br=$(net_bridge "$net") || return "$CIV6_EXIT_NO_INTERFACE"
  state=$(docker inspect -f '{{.State.Running}} {{.State.Pid}}' "$name" 2>/dev/null) || { log "container $name does not exist"; return "$CIV6_EXIT_NO_CONTAINER"; }
  pid=${state#* }
  [ "${state%% *}" = true ] && civ6_valid_pid "$pid" || { log "container $name is not running"; return "$CIV6_EXIT_NOT_RUNNING"; }
  read -r ifn mac < <(container_if "$pid" "$br") && [ -n "$ifn" ] || { log "container $name has no interface on bridge $br"; return "$CIV6_EXIT_NO_INTERFACE"; }
  echo 0 > "/proc/sys/net/ipv6/conf/$br/disable_ipv6" 2>/dev/null   # Docker turns IPv6 off on IPv4-only bridges
  # where IPv6 is still off, skip duplicate address detection for the link-local it is about to get (a MAC-derived
  # address on a bridge Docker owns): the container then asks radvd for its default route a second sooner
  nsenter -t "$pid" -n sh -c 'c=/proc/sys/net/ipv6/conf; if [ "$(cat "$c/$1/disable_ipv6")" = 1 ]; then echo 0 > "$c/$1/accept_dad"; fi
    echo 0 > "$c/all/disable_ipv6" && echo 0 > "$c/$1/disable_ipv6"' civ6 "$ifn" || return "$CIV6_EXIT_ATTACH_FAILED"
  nsenter -t "$pid" -n ip -6 addr replace "$addr/128" dev "$ifn" nodad || return "$CIV6_EXIT_ATTACH_FAILED"
  ip -6 route replace "$addr/128" dev "$br" || return "$CIV6_EXIT_ATTACH_FAILED"
  ip -6 neigh replace proxy "$addr" dev "$UPLINK" || return "$CIV6_EXIT_ATTACH_FAILED"
  ip -6 neigh replace "$addr" lladdr "$mac" dev "$br" nud stale || log "could not set the neighbour entry of $addr to $mac"
  [ "$br" = "$BRIDGE" ] || sync_radvd "$br"
  for i in $(seq "${CIV6_WAIT_RA:-50}"); do
    nsenter -t "$pid" -n ip -6 route show default | grep -q 'proto ra' && break
    sleep 0.1
  done
  log "attached $addr to $name ($ifn $mac in pid $pid, bridge $br)"
}

bound_to() { bindings | awk -v a="$1" '$1 == a { print $2; exit }'; }

# Re-attach every address recorded for one container (given by id): by its recorded id, else by its name
# (a renamed container keeps its address; verify tells the user the record names it by its old name).
# A container removed and created again under its name (docker compose down/up, docker rm + run) gets a new id: a
# binding whose recorded id no longer exists follows the name, and the record takes the new id.
attach_container() {
  local ref=$1 info id name a n i w s
  civ6_valid_container_id "$ref" || return 0
  info=$(docker inspect -f '{{.Id}} {{.Name}}' "$ref" 2>/dev/null) || return 0
  id=${info%% *} name=${info#* }; name=${name#/}
  civ6_valid_container_id "$id" && civ6_valid_container_name "$name" || return 0
  while read -r a n i w s; do
    if [ "$i" = "$id" ]; then
      attach "$id" "$a" "$w"
    elif [ "$n" = "$name" ] && { [ "$i" = - ] || ! docker inspect -f '{{.Id}}' "$i" >/dev/null 2>&1; }; then
      attach "$id" "$a" "$w" && set_binding_id "$a" "$id"
    fi
  done < <(bindings)
  label_bind "$id"
  return 0
}

# set_binding_id ADDR ID: the record of ADDR takes the container's new id (fields after it kept)
set_binding_id() {
  local tmp
  tmp=$(mktemp "$CIV6_STATE_DIR/.bindings.XXXXXX") || return 1
  awk -v a="$1" -v id="$2" '$1 == a && $0 !~ /^#/ { $3 = id } { print }' "$CIV6_BINDINGS" > "$tmp" && chmod 0644 "$tmp" && mv "$tmp" "$CIV6_BINDINGS" || rm -f "$tmp"
}

# every binding whose container runs (one docker inspect per binding, not per container: a host may run hundreds),
# a binding whose recorded container is gone to the running container of its name, then the labelled containers
attach_all() {
  local a n i w s ref id
  while read -r a n i w s; do
    ref=$i; [ "$ref" != - ] || ref=$n
    if [ "$(docker inspect -f '{{.State.Running}}' "$ref" 2>/dev/null)" = true ]; then
      attach "$ref" "$a" "$w"
    elif [ "$i" != - ] && ! docker inspect -f '{{.Id}}' "$i" >/dev/null 2>&1 && id=$(docker inspect -f '{{if .State.Running}}{{.Id}}{{end}}' "$n" 2>/dev/null) && civ6_valid_container_id "$id"; then
      attach_container "$id"
    fi
  done < <(bindings)
  while read -r id; do
    civ6_valid_container_id "$id" && label_bind "$id"
  done < <(docker ps -q --no-trunc --filter label=conoha-ipv6.address 2>/dev/null)
  sync_radvd
  return 0
}

# label_bind ID: a running container with a conoha-ipv6.address label and no binding gets one (source label):
# the address it names, or with "auto" the one a container of its name held last (a "#released" note), else the
# first free one. Refused (logged, nothing changed): a bad label, an address outside the set or held by another
# container, no usable network, no free address.
label_bind() {
  local id=$1 name want net a n i w s addr='' holder
  want=$(docker inspect -f '{{index .Config.Labels "conoha-ipv6.address"}}' "$id" 2>/dev/null) || return 0
  case $want in ''|'<no value>') return 0 ;; esac
  name=$(docker inspect -f '{{.Name}}' "$id" 2>/dev/null) || return 0; name=${name#/}
  civ6_valid_container_name "$name" || return 0
  [ "$(docker inspect -f '{{.State.Running}}' "$id" 2>/dev/null)" = true ] || return 0
  while read -r a n i w s; do
    [ "$i" = "$id" ] && return 0   # it holds an address already (by assign or by its label): that one stays
  done < <(bindings)
  net=$(docker inspect -f '{{index .Config.Labels "conoha-ipv6.network"}}' "$id" 2>/dev/null) || net=''
  case $net in '<no value>') net='' ;; esac
  if [ -n "$net" ]; then
    civ6_valid_network_name "$net" || { log "refused: container $name: label conoha-ipv6.network is not a network name"; return 0; }
    net_bridge "$net" >/dev/null || { log "refused: container $name: $NET_WHY"; return 0; }
  else
    net=$(pick_network "$id") || { log "refused: container $name (label conoha-ipv6.address=$want) is on no bridge network that can be routed to"; return 0; }
  fi
  if [ "$want" = auto ]; then
    while read -r _ a n; do
      [ "$n" = "$name" ] && in_set "$a" && [ -z "$(bound_to "$a")" ] && addr=$a && break
    done < <(grep -E '^#released ' "$CIV6_BINDINGS" 2>/dev/null)
    if [ -z "$addr" ]; then
      for a in $ADDRESSES; do [ -z "$(bound_to "$a")" ] && addr=$a && break; done
    fi
    [ -n "$addr" ] || { log "refused: container $name (label conoha-ipv6.address=auto): every address is bound"; return 0; }
  else
    civ6_valid_address "$want" && in_set "$want" || { want=${want:0:60}; log "refused: container $name: label conoha-ipv6.address=${want//[^A-Za-z0-9:._-]/?} is not auto nor one of this host's addresses ($ADDRESSES)"; return 0; }
    holder=$(bound_to "$want")
    [ -z "$holder" ] || { log "refused: container $name (label conoha-ipv6.address=$want): $want is already bound to $holder"; return 0; }
    addr=$want
  fi
  attach "$id" "$addr" "$net" || { log "refused: container $name: could not attach $addr"; return 0; }
  mkdir -p "$CIV6_STATE_DIR"
  forget_released "$addr"
  printf '%s %s %s %s label\n' "$addr" "$name" "$id" "$net" >> "$CIV6_BINDINGS"
  log "bound $addr to $name from its label (network $net)"
  sync_radvd; ensure_firewall
}

forget_released() { # drop the "#released ADDR" notes of an address
  [ -f "$CIV6_BINDINGS" ] || return 0
  local tmp; tmp=$(mktemp "$CIV6_STATE_DIR/.bindings.XXXXXX") || return 1
  awk -v a="$1" '!($1 == "#released" && $2 == a)' "$CIV6_BINDINGS" > "$tmp" && chmod 0644 "$tmp" && mv "$tmp" "$CIV6_BINDINGS" || rm -f "$tmp"
}

# label_release ID: a removed container's label bindings go (a "#released" note keeps the address for its name);
# bindings made with assign stay: they follow the container's name when it is created again
label_release() {
  local id=$1 a n i w s tmp br
  while read -r a n i w s; do
    [ "$i" = "$id" ] && [ "$s" = label ] || continue
    tmp=$(mktemp "$CIV6_STATE_DIR/.bindings.XXXXXX") || return 1
    awk -v a="$a" '$1 != a && !($1 == "#released" && $2 == a)' "$CIV6_BINDINGS" > "$tmp" && printf '#released %s %s\n' "$a" "$n" >> "$tmp" && chmod 0644 "$tmp" && mv "$tmp" "$CIV6_BINDINGS" || { rm -f "$tmp"; continue; }
    br=$(net_bridge "$w" 2>/dev/null) && ip -6 neigh del "$a" dev "$br" 2>/dev/null
    ip link show dev "$BRIDGE" >/dev/null 2>&1 && ip -6 route replace "$a/128" dev "$BRIDGE"
    log "released $a: container $n (label) was removed"
  done < <(bindings)
  sync_radvd
}

# run a function under the host lock (in a subshell, so the lock is released when it returns)
locked() { ( with_lock "$1"; shift; "$@" ); }

# The network manager may take back what setup_host did (systemctl restart systemd-networkd, networkctl reload,
# NetworkManager reapplying a connection): when the default route, one of our routes or a proxy entry is
# deleted, wait for the burst to end and apply the host setup and the bindings again.
monitor_net() {
  local line
  ip -6 monitor route neigh 2>/dev/null | while read -r line; do
    [[ $line == Deleted* ]] || continue
    # the default route, a proxy entry, or the /128 route of one of our addresses (to whichever bridge)
    if [[ $line == "Deleted default "* || $line == *" proxy"* ]]; then :
    elif [[ $line =~ ^Deleted\ ([0-9a-f:]+)\ dev\ [A-Za-z0-9_.-]+\  ]] && in_set "${BASH_REMATCH[1]}"; then :
    else continue; fi
    while read -r -t 2 line; do :; done   # let the burst end
    log "the network manager changed routes or proxy entries; applying the host setup again"
    locked monitor setup_host
    locked monitor attach_all
  done
}

# Follow docker's events for ever: a container start, and a network connect (Docker disables IPv6 in the
# container again at every connect). After every (re)connection to dockerd (a dockerd restart rebuilds its
# chains and may recreate the bridge; with live-restore the containers keep running), setup_host and
# attach_all first, with --since covering the gap so that no event is missed.
watch() {
  local since kind id cid events_pid monitor_pid fifo=$CIV6_RUN_DIR/events.fifo
  mkdir -p "$CIV6_RUN_DIR"
  echo $$ > "$CIV6_WATCH_PID"
  events_pid='' monitor_pid=''
  trap 'rm -f "$CIV6_WATCH_PID" "$fifo"; [ -n "$events_pid" ] && kill "$events_pid" 2>/dev/null; [ -n "$monitor_pid" ] && pkill -P "$monitor_pid" 2>/dev/null; [ -n "$monitor_pid" ] && kill "$monitor_pid" 2>/dev/null; exit 0' TERM INT
  monitor_net & monitor_pid=$!
  while :; do
    until docker_ready; do sleep 1; done
    since=$(date +%s)
    locked watch setup_host
    locked watch attach_all
    log "watching docker container start/destroy and network connect/create/destroy events"
    rm -f "$fifo"; mkfifo -m 600 "$fifo"
    docker events --since "$since" --filter type=container --filter type=network --filter event=start --filter event=destroy \
      --filter event=connect --filter event=create \
      --format '{{.Type}} {{.Action}} {{.Actor.ID}} {{index .Actor.Attributes "container"}}' > "$fifo" 2>/dev/null &
    events_pid=$!
    while read -r kind action id cid; do
      case "$kind $action" in
        'container start') civ6_valid_container_id "$id" && locked event attach_container "$id" ;;
        'container destroy') civ6_valid_container_id "$id" && locked event label_release "$id" ;;
        'network connect') civ6_valid_container_id "$cid" && locked event attach_container "$cid" ;;
        'network create'|'network destroy') locked event sync_radvd ;;
      esac
    done < "$fifo"
    wait "$events_pid" 2>/dev/null; events_pid=''
    log "lost docker events (dockerd stopped?); reconnecting"
    sleep 1
  done
}

# the recorded watcher, if it still runs: the pid must be a number, and that process our agent's "watch" (a
# stale pidfile's pid may belong to another process by now)
watching() {
  local pid cmd
  pid=$(cat "$CIV6_WATCH_PID" 2>/dev/null) && civ6_valid_pid "$pid" || return 1
  cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *"$CIV6_AGENT watch"* ]]
}

case "${1:-}" in
  boot) load_conf; wait_docker 60 || log "docker did not answer within 60 s"; with_lock boot; setup_host; attach_all ;;
  radvd) load_conf; with_lock radvd; sync_radvd ;;
  setup) load_conf; with_lock setup; setup_host ;;
  watch) load_conf; watch ;;
  start-watch) # hosts without systemd: run the watcher detached (it will not come back after a reboot)
    load_conf
    if watching; then exit 0; fi
    mkdir -p "$CIV6_RUN_DIR"
    setsid "$CIV6_AGENT" watch </dev/null >>"$CIV6_RUN_DIR/watch.log" 2>&1 &
    for _ in $(seq 50); do watching && exit 0; sleep 0.1; done
    die "the watcher did not start; see $CIV6_RUN_DIR/watch.log" ;;
  stop-watch)
    if watching; then kill "$(cat "$CIV6_WATCH_PID")"; else rm -f "$CIV6_WATCH_PID"; fi ;;
  bind) # bind NAME ADDR [NETWORK]: record the binding (with the container's id and network), then attach
    load_conf
    name=${2:-} addr=${3:-} net=${4:-}
    civ6_valid_container_name "$name" && civ6_valid_address "$addr" || die "usage: bind CONTAINER-NAME ADDRESS [NETWORK]" "$CIV6_EXIT_REFUSED"
    [ -z "$net" ] || civ6_valid_network_name "$net" || die "usage: bind CONTAINER-NAME ADDRESS [NETWORK]" "$CIV6_EXIT_REFUSED"
    in_set "$addr" || die "$addr is not one of this host's addresses" "$CIV6_EXIT_REFUSED"
    with_lock "bind $addr"
    civ6_bindings_read "$CIV6_BINDINGS" >/dev/null || die "$CIV6_BINDINGS is damaged: correct or remove the bad line, then assign again" "$CIV6_EXIT_REFUSED"
    other=$(bound_to "$addr")
    [ -z "$other" ] || [ "$other" = "$name" ] || die "$addr is already bound to $other" "$CIV6_EXIT_REFUSED"
    id=$(docker inspect -f '{{.Id}}' "$name" 2>/dev/null) && civ6_valid_container_id "$id" || die "container $name does not exist" "$CIV6_EXIT_NO_CONTAINER"
    if [ -z "$net" ]; then net=$(pick_network "$id") || die "container $name is on no bridge network that can be routed to" "$CIV6_EXIT_NO_INTERFACE"; fi
    net_bridge "$net" >/dev/null || die "$NET_WHY" "$CIV6_EXIT_REFUSED"
    attach "$id" "$addr" "$net" || exit $?
    if [ -z "$other" ]; then
      mkdir -p "$CIV6_STATE_DIR"; forget_released "$addr"; printf '%s %s %s %s assign\n' "$addr" "$name" "$id" "$net" >> "$CIV6_BINDINGS"
    fi
    sync_radvd; ensure_firewall ;;
  unbind) # unbind ADDR: forget the binding and take the address off the container if it runs
    load_conf
    addr=${2:-}
    civ6_valid_address "$addr" || die "usage: unbind ADDRESS" "$CIV6_EXIT_REFUSED"
    with_lock "unbind $addr"
    civ6_bindings_read "$CIV6_BINDINGS" >/dev/null || die "$CIV6_BINDINGS is damaged: correct or remove the bad line, then release again" "$CIV6_EXIT_REFUSED"
    name=$(bound_to "$addr")
    [ -n "$name" ] || die "$addr is not bound" "$CIV6_EXIT_REFUSED"
    br=$(bridge_of_address "$addr") || br=$BRIDGE
    ref=$(bindings | awk -v a="$addr" '$1 == a { print $3; exit }'); [ "$ref" != - ] || ref=$name
    tmp=$(mktemp "$CIV6_STATE_DIR/.bindings.XXXXXX")
    awk -v a="$addr" '$1 != a' "$CIV6_BINDINGS" > "$tmp" && chmod 0644 "$tmp" && mv "$tmp" "$CIV6_BINDINGS"
    state=$(docker inspect -f '{{.State.Running}} {{.State.Pid}}' "$ref" 2>/dev/null) || state=''
    pid=${state#* }
    if [ "${state%% *}" = true ] && civ6_valid_pid "$pid"; then
      read -r ifn _ < <(container_if "$pid" "$br") && nsenter -t "$pid" -n ip -6 addr del "$addr/128" dev "$ifn" 2>/dev/null
    fi
    ip -6 neigh del "$addr" dev "$br" 2>/dev/null
    [ "$br" = "$BRIDGE" ] || ! ip link show dev "$BRIDGE" >/dev/null 2>&1 || ip -6 route replace "$addr/128" dev "$BRIDGE"
    sync_radvd
    log "released $addr from $name" ;;
  firewall) # the allow rules where prepare planned them (ufw: its own persistent route rules)
    load_conf; with_lock firewall
    ensure_firewall
    for m in $FIREWALL; do
      [ "$m" = ufw ] || continue
      for n in $ALLOW; do
        ufw route allow in on "$UPLINK" out on "$BRIDGE" to "$n" comment "$CIV6_MARK_RULE_COMMENT" || die "ufw route allow to $n failed"
        ufw route allow in on "$BRIDGE" out on "$UPLINK" from "$n" comment "$CIV6_MARK_RULE_COMMENT" || die "ufw route allow from $n failed"
      done
    done ;;
  unfirewall) # take out every allow rule prepare put in (ours carry the comment conoha-ipv6; ufw's by their spec)
    load_conf; with_lock unfirewall
    if command -v ip6tables >/dev/null 2>&1; then
      for chain in DOCKER-USER FORWARD; do
        ip6t -S "$chain" 2>/dev/null | grep -- "--comment $CIV6_MARK_RULE_COMMENT" | sed 's/^-A /-D /' | while read -r spec; do
          # shellcheck disable=SC2086
          ip6t $spec || log "ip6tables $spec failed"
        done
      done
    fi
    for m in $FIREWALL; do
      [ "$m" = ufw ] || continue
      for n in $ALLOW; do
        ufw route delete allow in on "$UPLINK" out on "$BRIDGE" to "$n" comment "$CIV6_MARK_RULE_COMMENT" >/dev/null || log "ufw route delete (to $n) failed"
        ufw route delete allow in on "$BRIDGE" out on "$UPLINK" from "$n" comment "$CIV6_MARK_RULE_COMMENT" >/dev/null || log "ufw route delete (from $n) failed"
      done
    done ;;
  attach) load_conf; with_lock attach; attach_container "${2:?usage: attach CONTAINER-ID}" ;;
  *) die "usage: conoha-ipv6-agent boot|setup|radvd|firewall|unfirewall|watch|start-watch|stop-watch|bind NAME ADDR [NETWORK]|unbind ADDR|attach CONTAINER-ID" "$CIV6_EXIT_REFUSED" ;;
esac
