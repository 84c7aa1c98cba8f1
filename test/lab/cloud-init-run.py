# Runs the write_files and runcmd parts of a #cloud-config with cloud-init's own code (the Debian package, unpacked
# by scripts/setup-export-tools.sh, not installed): cc_write_files.write_files writes each file (decoding, permissions,
# owner) under ROOT (a lab VPS's root seen from this machine), and util.shellify makes the runcmd script exactly as
# cloud-init writes it to /var/lib/cloud/instance/scripts/runcmd, written under ROOT at that path for the VPS to run.
# usage: PYTHONPATH=<cloud-init>/usr/lib/python3/dist-packages /usr/bin/python3 cloud-init-run.py USER-DATA ROOT
import os
import sys

import yaml
from cloudinit import util
from cloudinit.config import cc_write_files

user_data, root = sys.argv[1], sys.argv[2]
with open(user_data, encoding='utf-8') as f:
    cfg = yaml.safe_load(f)
files = [dict(f, path=os.path.join(root, f['path'].lstrip('/'))) for f in cfg['write_files']]
cc_write_files.write_files('write_files', files, 'root:root')
script = os.path.join(root, 'var/lib/cloud/instance/scripts/runcmd')
os.makedirs(os.path.dirname(script), exist_ok=True)
with open(script, 'w', encoding='utf-8') as f:
    f.write(util.shellify(cfg['runcmd']))
os.chmod(script, 0o700)
print('\n'.join(f['path'] for f in cfg['write_files']))
