# conoha-ipv6 docker mode: what the Docker-native mode decides from, besides the main snapshot, printed as one JSON
# line '{"native":1,...}'. Runs as root under bash after the generated preamble. Everything Docker or a file
# prints is base64-encoded, so the JSON never depends on it; the client parses and validates it (nativePlan.ts).
# Input: CIV6_NATIVE_NETWORK (a validated network name).
civ6_nb64() { printf '"%s"' "$(printf '%s' "$1" | base64 -w0)"; }
civ6_nb64file() { if [ -r "$1" ]; then printf '"%s"' "$(base64 -w0 < "$1")"; else printf null; fi; }
civ6_native_facts() {
  local net='' ctrs='' ids sha=null
  if command -v docker >/dev/null 2>&1; then
    net=$(docker network inspect "$CIV6_NATIVE_NETWORK" --format '{{json .}}' 2>/dev/null) || net=''
    ids=$(docker ps -aq --no-trunc 2>/dev/null) || ids=''
    # one line per container: its name, whether it runs, and its endpoint on our network (null when not on it)
    # shellcheck disable=SC2086
    [ -n "$ids" ] && ctrs=$(docker inspect --format '{"name":{{json .Name}},"id":{{json .Id}},"running":{{json .State.Running}},"ep":{{json (index .NetworkSettings.Networks "'"$CIV6_NATIVE_NETWORK"'")}}}' $ids 2>/dev/null)
  fi
  [ -r "$CIV6_NATIVE_AGENT" ] && sha="\"$(sha256sum < "$CIV6_NATIVE_AGENT" | cut -d' ' -f1)\""
  printf '{"native":1,"conf":%s,"previous":%s,"agentSha256":%s,"unit":%s,"unitWanted":%s,"unitActive":%s,"network":%s,"containers":%s}\n' \
    "$(civ6_nb64file "$CIV6_NATIVE_CONF")" "$(civ6_nb64file "$CIV6_NATIVE_PREVIOUS")" "$sha" "$(civ6_nb64file "$CIV6_NATIVE_UNIT")" \
    "$(if [ -L "$CIV6_NATIVE_UNIT_WANTS" ]; then printf true; else printf false; fi)" \
    "$(civ6_nb64 "$( (systemctl is-active "$CIV6_NATIVE_UNIT_NAME" 2>/dev/null) || true)")" \
    "$(civ6_nb64 "$net")" "$(civ6_nb64 "$ctrs")"
}
