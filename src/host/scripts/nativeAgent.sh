#!/bin/bash
# conoha-ipv6-native: installed by `conoha-ipv6 prepare` in docker mode (as /usr/local/sbin/conoha-ipv6-native) and
# run by the conoha-ipv6-native systemd unit after every start of docker.service. Docker itself keeps the network
# and each container's fixed address; this puts back what the kernel and a reboot forget: a proxy NDP entry on the
# uplink for every address, the firewall rules that let the addresses through, the FORWARD policy the host had.
# Its only input is $CIV6_NATIVE_CONF (KEY=value lines written by prepare): every value is checked against the
# generated patterns before use, and nothing is sourced or evaluated.
# Usage: conoha-ipv6-native boot | firewall | unfirewall
set -u
log() { printf 'conoha-ipv6-native: %s\n' "$*" >&2; }
die() { log "$1"; exit "${2:-1}"; }
ip6t() { ip6tables -w 10 "$@"; }

load() {
  local l k v w
  UPLINK='' BRIDGE='' PREFIX='' ADDRESSES='' FIREWALL='' FORWARD_POLICY=''
  [ -r "$CIV6_NATIVE_CONF" ] || die "$CIV6_NATIVE_CONF is missing: prepare this host in docker mode first" "$CIV6_EXIT_REFUSED"
  civ6_state_check "$CIV6_NATIVE_CONF" "$CIV6_RE_CONF_LINE" || die "$CIV6_NATIVE_CONF is damaged: prepare the host again" "$CIV6_EXIT_REFUSED"
  while IFS= read -r l || [ -n "$l" ]; do
    case $l in ''|'#'*) continue ;; esac
    k=${l%%=*} v=${l#*=}
    case $v in \"*\") v=${v#\"} v=${v%\"} ;; esac
    case $k in
      UPLINK|BRIDGE) civ6_valid_ifname "$v" || die "bad $k in $CIV6_NATIVE_CONF" "$CIV6_EXIT_REFUSED" ;;
      PREFIX) civ6_valid_network "$v" || die "bad PREFIX in $CIV6_NATIVE_CONF" "$CIV6_EXIT_REFUSED" ;;
      ADDRESSES) for w in $v; do civ6_valid_address "$w" || die "bad address $w in $CIV6_NATIVE_CONF" "$CIV6_EXIT_REFUSED"; done ;;
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

load
case "${1:-}" in
  boot) boot ;;
  firewall) firewall ;;
  unfirewall) unfirewall ;;
  *) die "usage: conoha-ipv6-native boot | firewall | unfirewall" "$CIV6_EXIT_REFUSED" ;;
esac
