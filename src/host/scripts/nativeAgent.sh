#!/bin/bash
# conoha-ipv6-native: installed by `conoha-ipv6 prepare` in docker mode (as /usr/local/sbin/conoha-ipv6-native) and
# run by the conoha-ipv6-native systemd unit after every start of docker.service. Docker itself keeps the network
# and each container's fixed address; this puts back what the kernel and a reboot forget: a proxy NDP entry on the
# uplink for every address, the firewall rules that let the addresses through, the FORWARD policy the host had.
# Its only input is $CIV6_NATIVE_CONF (KEY=value lines written by prepare): every value is checked against the
# generated patterns before use, and nothing is sourced or evaluated.
# "watch" (the unit's main process, after "boot") follows docker's container start events: a running container with
# the label conoha-ipv6.address=auto|ADDRESS that is not on the conoha-ipv6 network yet is connected to it with that
# fixed address (docker network connect --ip6); Docker keeps it across restarts and reboots and frees it when the
# container is removed. "auto" takes the address a container of the same name got last ($CIV6_NATIVE_LABELS, one
# "ADDRESS NAME" per line) when it is free, else the first free one. A container already on the network (by assign,
# or by its label earlier) keeps its address whatever its label says: assign wins. Refused, logged, nothing changed:
# a label that is neither auto nor one of the addresses (written as the host writes them), one of Docker's own
# (RESERVED), an address another container holds (running or stopped), no free address. Labels are untrusted:
# validated before use, and passed to docker as arguments only.
# Usage: conoha-ipv6-native boot | watch | firewall | unfirewall
set -u
log() { printf 'conoha-ipv6-native: %s\n' "$*" >&2; }
die() { log "$1"; exit "${2:-1}"; }
ip6t() { ip6tables -w 10 "$@"; }

load() {
  local l k v w
  UPLINK='' BRIDGE='' PREFIX='' ADDRESSES='' RESERVED='' FIREWALL='' FORWARD_POLICY=''
  [ -r "$CIV6_NATIVE_CONF" ] || die "$CIV6_NATIVE_CONF is missing: prepare this host in docker mode first" "$CIV6_EXIT_REFUSED"
  civ6_state_check "$CIV6_NATIVE_CONF" "$CIV6_RE_CONF_LINE" || die "$CIV6_NATIVE_CONF is damaged: prepare the host again" "$CIV6_EXIT_REFUSED"
  while IFS= read -r l || [ -n "$l" ]; do
    case $l in ''|'#'*) continue ;; esac
    k=${l%%=*} v=${l#*=}
    case $v in \"*\") v=${v#\"} v=${v%\"} ;; esac
    case $k in
      UPLINK|BRIDGE) civ6_valid_ifname "$v" || die "bad $k in $CIV6_NATIVE_CONF" "$CIV6_EXIT_REFUSED" ;;
      PREFIX) civ6_valid_network "$v" || die "bad PREFIX in $CIV6_NATIVE_CONF" "$CIV6_EXIT_REFUSED" ;;
      ADDRESSES|RESERVED) for w in $v; do civ6_valid_address "$w" || die "bad address $w in $CIV6_NATIVE_CONF" "$CIV6_EXIT_REFUSED"; done ;;
      FIREWALL) for w in $v; do civ6_valid_firewall_mechanism "$w" || die "bad FIREWALL in $CIV6_NATIVE_CONF" "$CIV6_EXIT_REFUSED"; done ;;
      FORWARD_POLICY) civ6_valid_forward_policy "$v" || die "bad FORWARD_POLICY in $CIV6_NATIVE_CONF" "$CIV6_EXIT_REFUSED" ;;
      *) continue ;;
    esac
    printf -v "$k" '%s' "$v"
  done < "$CIV6_NATIVE_CONF"
  [ -n "$UPLINK" ] && [ -n "$BRIDGE" ] && [ -n "$PREFIX" ] || die "$CIV6_NATIVE_CONF lacks UPLINK, BRIDGE or PREFIX: prepare the host again" "$CIV6_EXIT_REFUSED"
}

# read-only (ip6tables -S or -C with the nft backend would create an empty filter table on a host that has none)
has_chain() { ip6tables-save -t filter 2>/dev/null | grep -q "^:$1 "; }
has() { local m; for m in $FIREWALL; do [ "$m" = "$1" ] && return 0; done; return 1; }
rules() { # rules CHAIN: the rule specs, one per line
  printf '%s\n' "$1 -o $BRIDGE -d $PREFIX -m comment --comment $CIV6_NATIVE_RULE_COMMENT -j ACCEPT" "$1 -i $BRIDGE -s $PREFIX -m comment --comment $CIV6_NATIVE_RULE_COMMENT -j ACCEPT"
}

firewall() {
  local chain spec
  if command -v ip6tables >/dev/null 2>&1; then
    for chain in DOCKER-USER FORWARD; do
      if [ $chain = DOCKER-USER ]; then has docker-user || continue; else has forward || continue; fi
      has_chain $chain || { log "no ip6tables chain $chain (yet): its rules are added when it exists"; continue; }
      while read -r spec; do
        # shellcheck disable=SC2086
        ip6t -C $spec 2>/dev/null || ip6t -I $spec || log "ip6tables -I $spec failed"
      done < <(rules $chain)
    done
    if [ "$FORWARD_POLICY" = DROP ] && has_chain FORWARD && ip6t -S FORWARD 2>/dev/null | grep -qx -- '-P FORWARD ACCEPT'; then
      ip6t -P FORWARD DROP && log "ip6tables FORWARD policy set back to DROP, as it was before conoha-ipv6"
    fi
  fi
  if has ufw && command -v ufw >/dev/null 2>&1; then
    ufw route allow out on "$BRIDGE" to "$PREFIX" comment "$CIV6_NATIVE_RULE_COMMENT" >/dev/null
    ufw route allow in on "$BRIDGE" from "$PREFIX" comment "$CIV6_NATIVE_RULE_COMMENT" >/dev/null
  fi
}

unfirewall() {
  local chain spec
  if command -v ip6tables >/dev/null 2>&1; then
    for chain in DOCKER-USER FORWARD; do
      has_chain $chain || continue
      while read -r spec; do
        # shellcheck disable=SC2086
        while ip6t -C $spec 2>/dev/null; do ip6t -D $spec || break; done
      done < <(rules $chain)
    done
  fi
  if has ufw && command -v ufw >/dev/null 2>&1; then
    ufw route delete allow out on "$BRIDGE" to "$PREFIX" >/dev/null 2>&1 || true
    ufw route delete allow in on "$BRIDGE" from "$PREFIX" >/dev/null 2>&1 || true
  fi
}

boot() {
  local a
  echo 1 > "/proc/sys/net/ipv6/conf/$UPLINK/proxy_ndp" 2>/dev/null || log "cannot set proxy_ndp on $UPLINK"
  for a in $ADDRESSES; do ip -6 neigh replace proxy "$a" dev "$UPLINK" || log "proxy entry for $a on $UPLINK failed"; done
  firewall
}

in_words() { local w; for w in $2; do [ "$w" = "$1" ] && return 0; done; return 1; }
# every address a container holds on our network, running or not: "ADDRESS NAME" lines (the fixed one, else Docker's)
held() {
  local ids
  ids=$(docker ps -aq --no-trunc 2>/dev/null) || return 0
  [ -n "$ids" ] || return 0
  # shellcheck disable=SC2086
  docker inspect --format '{{.Name}} {{with index .NetworkSettings.Networks "'"$CIV6_NATIVE_NETWORK"'"}}{{with .IPAMConfig}}{{.IPv6Address}}{{end}} {{.GlobalIPv6Address}}{{end}}' $ids 2>/dev/null |
    while read -r n a b; do
      n=${n#/}; civ6_valid_container_name "$n" || continue
      [ -n "$a" ] || a=${b:-}
      [ -n "$a" ] && civ6_valid_address "$a" && printf '%s %s\n' "$a" "$n"
    done
}
holder_of() { printf '%s\n' "$2" | awk -v a="$1" '$1 == a { print $2; exit }'; }

# label_connect ID: see the header
label_connect() {
  local id=$1 want name on hold addr='' a n shown
  want=$(docker inspect -f '{{index .Config.Labels "conoha-ipv6.address"}}' "$id" 2>/dev/null) || return 0
  case $want in ''|'<no value>') return 0 ;; esac
  name=$(docker inspect -f '{{.Name}}' "$id" 2>/dev/null) || return 0; name=${name#/}
  civ6_valid_container_name "$name" || return 0
  on=$(docker inspect -f '{{.State.Running}} {{if index .NetworkSettings.Networks "'"$CIV6_NATIVE_NETWORK"'"}}on{{end}}' "$id" 2>/dev/null) || return 0
  case $on in 'true on') return 0 ;; true*) ;; *) return 0 ;; esac
  shown=${want:0:60}; shown=${shown//[^A-Za-z0-9:._-]/?}
  hold=$(held)
  if [ "$want" = auto ]; then
    if [ -r "$CIV6_NATIVE_LABELS" ]; then
      while read -r a n; do
        [ "$n" = "$name" ] && civ6_valid_address "$a" && in_words "$a" "$ADDRESSES" && ! in_words "$a" "$RESERVED" && [ -z "$(holder_of "$a" "$hold")" ] && addr=$a
      done < "$CIV6_NATIVE_LABELS"
    fi
    if [ -z "$addr" ]; then
      for a in $ADDRESSES; do in_words "$a" "$RESERVED" || [ -n "$(holder_of "$a" "$hold")" ] || { addr=$a; break; }; done
    fi
    [ -n "$addr" ] || { log "refused: container $name (label conoha-ipv6.address=auto): every address is taken"; return 0; }
  else
    civ6_valid_address "$want" && in_words "$want" "$ADDRESSES" || { log "refused: container $name: label conoha-ipv6.address=$shown is not auto nor one of this host's addresses ($PREFIX)"; return 0; }
    ! in_words "$want" "$RESERVED" || { log "refused: container $name (label conoha-ipv6.address=$want): $want is Docker's own on $CIV6_NATIVE_NETWORK"; return 0; }
    n=$(holder_of "$want" "$hold")
    [ -z "$n" ] || { log "refused: container $name (label conoha-ipv6.address=$want): $want is held by $n"; return 0; }
    addr=$want
  fi
  docker network connect --ip6 "$addr" "$CIV6_NATIVE_NETWORK" "$id" || { log "refused: container $name: docker network connect --ip6 $addr failed"; return 0; }
  remember "$addr" "$name"
  log "connected $name to $CIV6_NATIVE_NETWORK with $addr from its label"
}

# remember ADDR NAME: the last address a name got from its label ("auto" takes it again)
remember() {
  local tmp
  mkdir -p "$(dirname "$CIV6_NATIVE_LABELS")"
  tmp=$(mktemp "$CIV6_NATIVE_LABELS.XXXXXX") || return 0
  { [ -r "$CIV6_NATIVE_LABELS" ] && awk -v a="$1" -v n="$2" '$1 != a && $2 != n' "$CIV6_NATIVE_LABELS"; printf '%s %s\n' "$1" "$2"; } > "$tmp" && chmod 0644 "$tmp" && mv "$tmp" "$CIV6_NATIVE_LABELS" || rm -f "$tmp"
}

label_all() {
  local id
  while read -r id; do civ6_valid_container_id "$id" && label_connect "$id"; done < <(docker ps -q --no-trunc --filter label=conoha-ipv6.address 2>/dev/null)
}

# for ever: the labelled containers that run, then every container start (events since before that look, so none is
# missed); when dockerd goes away, the same again once it answers
watch() {
  local since action id
  while :; do
    until docker info >/dev/null 2>&1; do sleep 1; done
    since=$(date +%s)
    label_all
    log "watching docker container start events for conoha-ipv6.address labels"
    while read -r action id; do
      [ "$action" = start ] && civ6_valid_container_id "$id" && label_connect "$id"
    done < <(docker events --since "$since" --filter type=container --filter event=start --format '{{.Action}} {{.Actor.ID}}' 2>/dev/null)
    log "lost docker events (dockerd stopped?); reconnecting"
    sleep 1
  done
}

load
case "${1:-}" in
  boot) boot ;;
  watch) watch ;;
  firewall) firewall ;;
  unfirewall) unfirewall ;;
  *) die "usage: conoha-ipv6-native boot | watch | firewall | unfirewall" "$CIV6_EXIT_REFUSED" ;;
esac
