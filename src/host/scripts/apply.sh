# conoha-ipv6 apply: runs the planned steps in order, one JSON line each, and stops at the first failure.
# Each step body comes on a here-document (quoted delimiter: nothing in it is expanded by this shell).
CIV6_FAILED=''
civ6_write() { # civ6_write PATH MODE BASE64: write a file atomically
  local path=$1 mode=$2 tmp
  mkdir -p "$(dirname "$path")" || return 1
  tmp=$(mktemp "$path.civ6.XXXXXX") || return 1
  printf '%s' "$3" | base64 -d > "$tmp" && chmod "$mode" "$tmp" && mv -f "$tmp" "$path" || { rm -f "$tmp"; return 1; }
}
civ6_step() { # civ6_step ID <<'BODY' ... BODY
  local id=$1 body out rc t0 t1
  body=$(cat)
  if [ -n "$CIV6_FAILED" ]; then printf 'CIV6-STEP {"id":"%s","rc":null,"ms":0,"out":""}\n' "$id"; return; fi
  t0=$(date +%s%N)
  out=$( (set -e; eval "$body") 2>&1 ); rc=$?
  t1=$(date +%s%N)
  printf 'CIV6-STEP {"id":"%s","rc":%s,"ms":%s,"out":"%s"}\n' "$id" "$rc" $(( (t1 - t0) / 1000000 )) "$(printf '%s' "$out" | base64 -w0)"
  [ "$rc" -eq 0 ] || CIV6_FAILED=$id
}
