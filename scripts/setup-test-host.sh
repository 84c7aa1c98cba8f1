#!/bin/bash
# Installs what the tests need on a Debian/Ubuntu machine, and nothing when it is already there:
# the lab's real parts (sshd, dockerd, radvd, busybox for the offline image, ping, sudo) and the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for pair in sshd:openssh-server ssh:openssh-client dockerd:docker.io radvd:radvd busybox:busybox-static \
            ip:iproute2 ping:iputils-ping sudo:sudo nsenter:util-linux ssh-keygen:openssh-client ssh-agent:openssh-client; do
  bin=${pair%%:*} pkg=${pair#*:}
  if ! PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$bin" >/dev/null 2>&1; then need+=("$pkg"); fi
done
# the lab uses Debian's own docker CLI (a Docker 28 CLI in /usr/local/bin would also work, but it is not ours)
[ -x /usr/bin/docker ] || need+=(docker.io)
[ -x /bin/busybox ] || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "setup: need root to install: ${need[*]}" >&2; exit 1; fi
  echo "setup: apt-get install ${need[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ ! -x node_modules/.bin/esbuild ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund >/dev/null
fi
# the export tests: Debian's ansible, and cloud-init's schema validator unpacked into the cache (not installed)
bash scripts/setup-export-tools.sh
