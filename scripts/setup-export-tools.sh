#!/bin/bash
# What the export tests (test/lab/export.lab.test.ts, test/unit/export.test.ts) need, installed only when missing:
#   - Debian's ansible (ansible-core plus the community collections: ansible.posix and the rest), to run the
#     generated playbook against lab VPSes;
# (Debian's own /usr/bin/python3: a python3 earlier in PATH, e.g. pyenv's, does not see the apt packages)
#   - cloud-init's own schema validator, WITHOUT installing cloud-init as a service on this machine (its units would
#     hook this machine's boot): the Debian package is downloaded and unpacked (dpkg -x) into a cache directory,
#     and run with Debian's python3 and the python3 packages cloud-init depends on (installed with apt).
# Called by scripts/setup-test-host.sh; idempotent (nothing to do prints nothing). Needs root to install.
set -euo pipefail
CACHE=${CONOHA_IPV6_CLOUDINIT_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/conoha-ipv6/export-cloud-init}
need=()
command -v ansible-playbook >/dev/null 2>&1 || need+=(ansible)
[ -d /usr/lib/python3/dist-packages/ansible_collections/ansible/posix ] || need+=(ansible)
for m in yaml:python3-yaml jsonschema:python3-jsonschema jinja2:python3-jinja2 configobj:python3-configobj \
         jsonpatch:python3-jsonpatch netifaces:python3-netifaces requests:python3-requests oauthlib:python3-oauthlib serial:python3-serial; do
  /usr/bin/python3 -c "import ${m%%:*}" 2>/dev/null || need+=("${m#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "setup: need root to install: ${need[*]}" >&2; exit 1; fi
  echo "setup: apt-get install ${need[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ ! -e "$CACHE/.complete" ]; then
  echo "setup: cloud-init (unpacked, not installed) into $CACHE"
  rm -rf "$CACHE.tmp" && mkdir -p "$CACHE.tmp/deb"
  (cd "$CACHE.tmp/deb" && apt-get -o APT::Sandbox::User=root download cloud-init >/dev/null)
  dpkg -x "$CACHE.tmp"/deb/cloud-init_*.deb "$CACHE.tmp/root"
  PYTHONPATH="$CACHE.tmp/root/usr/lib/python3/dist-packages" /usr/bin/python3 -m cloudinit.cmd.main --version >/dev/null
  dpkg-deb -f "$CACHE.tmp"/deb/cloud-init_*.deb Version > "$CACHE.tmp/.complete"
  rm -rf "$CACHE" && mv "$CACHE.tmp" "$CACHE"
fi
