#!/bin/bash
# npm run demo: installs what is missing (apt packages for the lab, npm packages, the code-server harness),
# builds and packages the extension, then runs test/vscode/demo.ts: a simulated ConoHa host and real VS Code
# (code-server) with the extension, at a URL it prints. Needs root (the lab is network namespaces).
#   npm run demo             start (Ctrl-C stops it)
#   npm run demo -- down     remove a demo lab left behind
set -euo pipefail
cd "$(dirname "$0")/.."
export LAB_PREFIX=${LAB_PREFIX:-cv6demo}
if [ "${1:-}" = down ]; then exec bash test/lab/lab.sh down; fi
bash scripts/setup-test-host.sh
bash test/vscode/harness.sh install
node scripts/build.mjs --tests
npm run -s package -- --out out/conoha-ipv6.vsix >/dev/null
exec node out/vscode-demo/demo.js out/conoha-ipv6.vsix
