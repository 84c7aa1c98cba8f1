#!/bin/bash
# npm test: install what is missing, typecheck, lint, build, then every test in one node --test run
# (unit tests, and the lab tests on real namespaces, sshd, dockerd and radvd, which need root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test-host.sh
npx tsc -p . --noEmit
# strict type-checked lint (eslint.config.mjs); a finding fails npm test like a failing test
npx eslint .
node scripts/build.mjs --tests
# lab tests share one machine: run the files one after another
exec node --test --test-concurrency=1 out/test/
