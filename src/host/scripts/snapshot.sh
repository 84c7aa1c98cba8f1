# conoha-ipv6 snapshot: everything the tool decides from, read in one go, printed as one JSON object.
# Runs as root under bash, after the generated preamble (paths, patterns, readers: src/core/hostPreamble.ts).
# Inputs (set by the caller before this text): CIV6_PING="addr addr ..." to also ping those addresses from the
# host (verify). Free text is base64-encoded, so the JSON never
# depends on what a file or a command prints.
civ6_b64() { printf '"%s"' "$(printf '%s' "$1" | base64 -w0)"; }
civ6_b64file() { if [ -r "$1" ]; then printf '"%s"' "$(base64 -w0 < "$1")"; else printf null; fi; }
# command output that is already JSON (ip -j, docker --format json), or null when it fails or is empty
civ6_json() { local out; out=$("$@" 2>/dev/null) && [ -n "$out" ] && printf '%s' "$out" || printf null; }
civ6_bool() { if "$@" >/dev/null 2>&1; then printf true; else printf false; fi; }
civ6_has() { command -v "$1" >/dev/null 2>&1; }

civ6_sysctls() { # every interface's forwarding/proxy_ndp/accept_ra/disable_ipv6, as {"eth0.forwarding": 0, ...}
  local d k v first=1   # builtins only (read, not cat): a host may have many veths
  printf '{'
  for d in /proc/sys/net/ipv6/conf/*; do
    civ6_valid_sysctl_dev "${d##*/}" || continue   # a name a container chose: never into the JSON raw
    for k in forwarding proxy_ndp accept_ra disable_ipv6; do
      read -r v 2>/dev/null < "$d/$k" || continue
      [ $first = 1 ] || printf ','; first=0
      printf '"%s.%s":%s' "${d##*/}" "$k" "$v"
    done
  done
  printf '}'
}

# A running container's network namespace read from /proc/PID, starting no process (builtins only), into
# CIV6_NSV: "L ifname ifindex iflink" per interface but lo (sysfs as the container mounted it), "A addr plen flags
# ifname" per global address and "6 N" (N: IPv6 addresses of any scope) from net/if_inet6, "R gateway metric
# ifname" per default route from net/ipv6_route, joined with ';'. Returns 1 (the caller then enters the
# namespace) when /proc cannot say exactly what "ip -j" would: no /sys of its own, a name outside
# [A-Za-z0-9_.@+-], a link whose index equals its peer's, a default route that did not come from an RA.
civ6_nsv() {
  local p=/proc/$1 d n i l x names=' ' cnt=0 a pl sc fl dst dl nh met re='^[A-Za-z0-9_.@+-]{1,15}$'
  CIV6_NSV=''
  [ -d "$p/root/sys/class/net" ] || return 1
  for d in "$p"/root/sys/class/net/*; do
    n=${d##*/}
    [[ $n =~ $re ]] || return 1
    read -r i 2>/dev/null < "$d/ifindex" && read -r l 2>/dev/null < "$d/iflink" || return 1
    if [ "$i" != "$l" ]; then CIV6_NSV+="L $n $i $l;"; elif [ "$n" != lo ]; then return 1; fi
    names+="$n "; cnt=$((cnt + 1))
  done
  # that /sys shows this namespace's interfaces (not, say, the host's /sys mounted into the container)
  { read -r x && read -r x && while read -r x _; do
      x=${x%%:*}; [[ $names == *" $x "* ]] || return 1; cnt=$((cnt - 1))
    done; } 2>/dev/null < "$p/net/dev" || return 1
  [ $cnt = 0 ] || return 1
  cnt=0
  { while read -r a x pl sc fl n; do
      cnt=$((cnt + 1))
      [ "$sc" = 00 ] || continue
      [[ $a =~ ^[0-9a-f]{32}$ && $pl =~ ^[0-9a-f]{2}$ && $fl =~ ^[0-9a-f]{2}$ && $n =~ $re ]] || return 1
      CIV6_NSV+="A $a $pl $fl $n;"
    done; } 2>/dev/null < "$p/net/if_inet6" || return 1
  CIV6_NSV+="6 $cnt"
  { while read -r dst dl x x nh met x x fl n; do
      [ "$dst $dl" = "00000000000000000000000000000000 00" ] || continue
      [[ $nh =~ ^[0-9a-f]{32}$ && $met =~ ^[0-9a-f]{8}$ && $fl =~ ^[0-9a-f]{8}$ && $n =~ $re ]] || return 1
      if (( 0x$fl & 0x200 )); then [ "$met $n" = "ffffffff lo" ] && continue; return 1; fi   # the table's null entry
      (( (0x$fl & 0x50000) == 0x50000 )) || return 1   # RTF_DEFAULT|RTF_ADDRCONF: a router from an RA (proto ra)
      CIV6_NSV+=";R $nh $met $n"
    done; } 2>/dev/null < "$p/net/ipv6_route" || return 1
}

civ6_containers() { # docker containers with state, pid, networks; running ones with their netns view
  local ids first=1 line pid
  ids=$(docker ps -aq --no-trunc 2>/dev/null) || { printf null; return; }
  printf '['
  [ -n "$ids" ] && docker inspect --format '{{.State.Pid}} {"id":{{json .Id}},"name":{{json .Name}},"state":{{json .State.Status}},"running":{{.State.Running}},"pid":{{.State.Pid}},"restartPolicy":{{json .HostConfig.RestartPolicy.Name}},"networks":{{json .NetworkSettings.Networks}},"labels":{{json .Config.Labels}}' $ids 2>/dev/null |
  while read -r pid line; do
    [ $first = 1 ] || printf ','; first=0
    printf '%s' "$line"
    if [ "$pid" -gt 0 ] 2>/dev/null && civ6_nsv "$pid"; then
      printf ',"nsv":"%s"' "$CIV6_NSV"
    elif [ "$pid" -gt 0 ] 2>/dev/null; then
      # what /proc cannot tell exactly: one nsenter, the same helpers run inside the container's network namespace
      printf ',"ns":%s' "$(nsenter -t "$pid" -n bash -c "$(declare -f civ6_json)"'
        printf "{\"links\":%s,\"addrs\":%s,\"routes\":%s,\"disable_ipv6\":%s}" \
          "$(civ6_json ip -j link show)" "$(civ6_json ip -j -6 addr show)" "$(civ6_json ip -j -6 route show table main)" \
          "$(cat /proc/sys/net/ipv6/conf/all/disable_ipv6 2>/dev/null || echo null)"' 2>/dev/null || printf null)"
    fi
    printf '}'
  done
  printf ']'
}

civ6_networks() { # docker networks: name, driver, internal, id, the bridge name option (JSON from docker itself)
  local ids
  ids=$(docker network ls -q --no-trunc 2>/dev/null) || { printf null; return; }
  [ -n "$ids" ] || { printf '[]'; return; }
  printf '[%s]' "$(docker network inspect --format '{"name":{{json .Name}},"id":{{json .Id}},"driver":{{json .Driver}},"internal":{{json .Internal}},"options":{{json .Options}}}' $ids 2>/dev/null | paste -sd, -)"
}

civ6_pings() { # ping the given addresses (or, for "@bound", every address in the bindings file) in parallel
  local a first=1 dir list=$CIV6_PING; dir=$(mktemp -d)
  if [ "$list" = @bound ]; then list=$(civ6_bindings_read "$CIV6_BINDINGS" 2>/dev/null | cut -d' ' -f1); fi
  for a in $list; do ( ping -6 -n -c 1 -i 0.2 -w 3 "$a" >"$dir/$a" 2>&1; echo $? >"$dir/$a.rc" ) & done
  wait
  printf '['
  for a in $list; do
    [ $first = 1 ] || printf ','; first=0
    printf '{"address":"%s","rc":%s,"out":%s}' "$a" "$(cat "$dir/$a.rc")" "$(civ6_b64 "$(cat "$dir/$a")")"
  done
  printf ']'
  rm -rf "$dir"
}

civ6_netfilter() { # what the forward path is made of: ip6tables (any backend), native nftables, ufw, networkd's links
  printf '"netfilter":{"ip6tablesSave":%s,"nftJson":%s,"ufwEnabled":%s},' \
    "$(if civ6_has ip6tables-save; then civ6_b64 "$(ip6tables-save 2>/dev/null)"; else printf null; fi)" \
    "$(if civ6_has nft; then civ6_b64 "$(nft -j list ruleset 2>/dev/null)"; else printf null; fi)" \
    "$(civ6_bool grep -qsx 'ENABLED=yes' /etc/ufw/ufw.conf)"
}

civ6_networkd() { # links systemd-networkd manages: {"ifindex": "NETWORK_FILE"} (state files under /run)
  local f first=1 nf st
  printf '"networkd":{'
  for f in /run/systemd/netif/links/[0-9]*; do
    [ -r "$f" ] || continue
    st=$(sed -n 's/^ADMIN_STATE=//p' "$f"); nf=$(sed -n 's/^NETWORK_FILE=//p' "$f")
    [ "$st" = configured ] || [ "$st" = configuring ] || continue
    [ $first = 1 ] || printf ','; first=0
    printf '"%s":%s' "${f##*/}" "$(civ6_b64 "$nf")"
  done
  printf '},'
}

civ6_probes() { # from each bound, running container's network namespace: TCP connect (or ping) to CIV6_PROBE="ADDR [PORT]"
  local a n i pid dir first=1 addr=${CIV6_PROBE%% *} port=''
  [ "$CIV6_PROBE" = "${CIV6_PROBE#* }" ] || port=${CIV6_PROBE#* }
  dir=$(mktemp -d)
  while read -r a n i _; do
    civ6_valid_address "$a" || continue
    [ "$i" != - ] || i=$n
    pid=$(docker inspect -f '{{.State.Pid}}' "$i" 2>/dev/null) || continue
    civ6_valid_pid "$pid" || continue
    if [ -n "$port" ]; then
      ( nsenter -t "$pid" -n timeout 4 bash -c 'exec 3<>"/dev/tcp/$1/$2"' civ6 "$addr" "$port" >"$dir/$a" 2>&1; echo $? >"$dir/$a.rc" ) &
    else
      ( nsenter -t "$pid" -n ping -6 -n -c 1 -w 4 "$addr" >"$dir/$a" 2>&1; echo $? >"$dir/$a.rc" ) &
    fi
  done < <(civ6_bindings_read "$CIV6_BINDINGS" 2>/dev/null)
  wait
  printf '['
  for f in "$dir"/*.rc; do
    [ -e "$f" ] || continue
    a=${f##*/}; a=${a%.rc}
    [ $first = 1 ] || printf ','; first=0
    printf '{"address":"%s","rc":%s,"out":%s}' "$a" "$(cat "$f")" "$(civ6_b64 "$(head -c 2000 "$dir/$a")")"
  done
  printf ']'
  rm -rf "$dir"
}

civ6_snapshot() {
  local docker_ok=false docker_err="" docker_ver=""
  if civ6_has docker; then
    if docker_ver=$(docker version --format '{{.Server.Version}}' 2>&1); then docker_ok=true; else docker_err=$docker_ver; docker_ver=""; fi
  fi
  printf '{"v":%s,"time":%s,"hostname":%s,"uid":%s,"sudoUser":%s,' "$CIV6_SNAPSHOT_VERSION" "$(date +%s)" "$(civ6_b64 "$(hostname 2>/dev/null)")" "$(id -u)" "$(civ6_b64 "${SUDO_USER:-}")"
  printf '"osRelease":%s,"kernel":%s,"systemd":%s,' "$(civ6_b64file /etc/os-release)" "$(civ6_b64 "$(uname -r)")" "$(civ6_bool test -d /run/systemd/system)"
  printf '"tools":{"ip":%s,"nsenter":%s,"docker":%s,"radvd":%s,"apt":%s,"ping":%s,"systemctl":%s},' \
    "$(civ6_bool civ6_has ip)" "$(civ6_bool civ6_has nsenter)" "$(civ6_bool civ6_has docker)" \
    "$(civ6_bool test -x /usr/sbin/radvd)" "$(civ6_bool civ6_has apt-get)" "$(civ6_bool civ6_has ping)" "$(civ6_bool civ6_has systemctl)"
  printf '"links":%s,"addrs":%s,"routes":%s,"proxies":%s,"neighbours":%s,"sysctl":%s,' \
    "$(civ6_json ip -j link show)" "$(civ6_json ip -j -6 addr show)" "$(civ6_json ip -j -6 route show table main)" \
    "$(civ6_json ip -j -6 neigh show proxy)" "$(civ6_json ip -j -6 neigh show nud reachable nud stale nud delay nud probe)" "$(civ6_sysctls)"
  printf '"radvd":{"pids":%s,"conf":%s,"enabled":%s},' "$(civ6_radvd_pids)" "$(civ6_b64file "$CIV6_RADVD_CONF")" \
    "$(civ6_b64 "$( (systemctl is-enabled radvd 2>/dev/null) || true)")"
  printf '"docker":{"ok":%s,"version":%s,"error":%s,"containers":%s,"networks":%s},' "$docker_ok" "$(civ6_b64 "$docker_ver")" "$(civ6_b64 "$docker_err")" \
    "$(if [ $docker_ok = true ]; then civ6_containers; else printf null; fi)" "$(if [ $docker_ok = true ]; then civ6_networks; else printf null; fi)"
  local agent=$CIV6_AGENT watch_pid=null p
  p=$(cat "$CIV6_WATCH_PID" 2>/dev/null) || p=''
  # the recorded watcher counts only if that pid is still our agent's watch (a stale pid may be anyone's by now)
  if civ6_valid_pid "$p" && tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -qF "$CIV6_AGENT watch"; then watch_pid=$p; fi
  printf '"agent":{"sha256":%s,"unit":%s,"unitWanted":%s,"unitActive":%s,"watchPid":%s},' \
    "$(if [ -r "$agent" ]; then printf '"%s"' "$(sha256sum < "$agent" | cut -d' ' -f1)"; else printf null; fi)" \
    "$(civ6_b64file "$CIV6_UNIT")" \
    "$(civ6_bool test -L "$CIV6_UNIT_WANTS")" \
    "$(civ6_b64 "$( (systemctl is-active "$CIV6_UNIT_NAME" 2>/dev/null) || true)")" "$watch_pid"
  local dropin; dropin=$(printf '%s\n' /etc/systemd/network/*.network.d/"$CIV6_NETWORKD_DROP_IN_NAME" | head -n 1)
  printf '"files":{"rolledBack":%s,"rollbackArmed":%s,"previousJson":%s,"radvdBackup":%s,' "$(civ6_b64file "$CIV6_ROLLED_BACK")" \
    "$(civ6_bool test -e "$CIV6_ROLLBACK_ARMED")" "$(civ6_b64file "$CIV6_PREVIOUS_JSON")" "$(civ6_bool test -f "$CIV6_RADVD_BACKUP")"
  printf '"hostConf":%s,"bindings":%s,"previous":%s,"sysctlConf":%s,"networkdDropIn":%s},' \
    "$(civ6_b64file "$CIV6_HOST_CONF")" "$(civ6_b64file "$CIV6_BINDINGS")" \
    "$(civ6_bool test -e "$CIV6_PREVIOUS_JSON")" "$(civ6_b64file "$CIV6_SYSCTL_CONF")" "$(civ6_b64file "$dropin")"
  civ6_netfilter
  civ6_networkd
  printf '"probes":%s,' "$(if [ -n "${CIV6_PROBE:-}" ] && [ $docker_ok = true ]; then civ6_probes; else printf '[]'; fi)"
  printf '"pings":%s}\n' "$(if [ -n "${CIV6_PING:-}" ]; then civ6_pings; else printf '[]'; fi)"
}
