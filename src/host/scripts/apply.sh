# conoha-ipv6 apply: runs the planned steps in order, one JSON line each, and stops at the first failure.
# Each step body comes on a here-document (quoted delimiter: nothing in it is expanded by this shell). Steps use only
# the generated preamble (civ6_write, civ6_radvd_pids, CIV6_*), which comes first in every script.
CIV6_FAILED=''
civ6_step() { # civ6_step ID <<'BODY' ... BODY
  local id=$1 body out rc t0 t1
  body=$(cat)
  if [ -n "$CIV6_FAILED" ]; then printf '%s {"id":"%s","rc":null,"ms":0,"out":""}\n' "$CIV6_MARK_STEP" "$id"; return; fi
  t0=$(date +%s%N)
  out=$( (set -e; eval "$body") 2>&1 ); rc=$?
  t1=$(date +%s%N)
  printf '%s {"id":"%s","rc":%s,"ms":%s,"out":"%s"}\n' "$CIV6_MARK_STEP" "$id" "$rc" $(( (t1 - t0) / 1000000 )) "$(printf '%s' "$out" | base64 -w0)"
  [ "$rc" -eq 0 ] || CIV6_FAILED=$id
}
