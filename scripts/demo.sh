#!/bin/bash
# npm run demo: the product on the built-in simulated ConoHa host (a lab of network namespaces with real
# sshd, dockerd and radvd; needs root). Installs what is missing, builds, brings the lab up, and runs the
# CLI as a user would: status, prepare (dry run, then for real), assign two containers, verify, and a
# ping from the "provider router". The lab stays up so you can go on; `npm run demo -- down` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
export LAB_PREFIX=${LAB_PREFIX:-cv6demo}
if [ "${1:-}" = down ]; then exec bash test/lab/lab.sh down; fi
bash scripts/setup-test-host.sh
node scripts/build.mjs
bash test/lab/lab.sh up | tail -n 2
eval "$(bash test/lab/lab.sh env)"
H=(--host "labuser@[$LAB_SSH6]" --identity "$LAB_KEY_USER" --known-hosts "$LAB_KNOWN_HOSTS")
c() { printf '\n\033[1m$ conoha-ipv6 %s\033[0m\n' "$*"; node dist/cli.js "$@" "${H[@]}"; }
c status
c prepare --dry-run
c prepare
c assign c1
c assign c2
c verify
X=$(node dist/cli.js status --json "${H[@]}" | node -e 'const j=JSON.parse(require("fs").readFileSync(0));console.log(j.snapshot.bindings[0].address)')
printf '\n\033[1m$ ping %s   (from the provider router, through proxy NDP)\033[0m\n' "$X"
bash test/lab/lab.sh ping "$X"
cat <<MSG

The lab host is still up. Try it yourself:
  node dist/cli.js status ${H[*]}
  LAB_PREFIX=$LAB_PREFIX bash test/lab/lab.sh restart-container c1    # then: LAB_PREFIX=$LAB_PREFIX bash test/lab/lab.sh ping $X   (the watcher re-attached it)
  LAB_PREFIX=$LAB_PREFIX bash test/lab/lab.sh reboot               # a simulated reboot; everything comes back
  node dist/cli.js release c1 ${H[*]}
Remove it with: npm run demo -- down
MSG
