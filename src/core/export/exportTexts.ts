// What an export carries, taken from the engine's own writers so that it cannot drift from what `prepare` writes:
// the agent (with its generated preamble, the same bytes and sha256 prepare installs), the unit, the sysctl.d file,
// host.conf's format (writeHostConf + CONF_KEYS), the networkd drop-in and radvd's managed stanza. The texts that
// depend on the host (the uplink's name, the bridge, the addresses) are made by the engine's functions with sentinel
// values, which the host probe (hostProbe.py.ts) replaces with the values it works out and checks on the host.
import { artifacts } from '../../host/scripts';
import { CONF_KEYS, writeHostConf } from '../hostState';
import { PATHS, PATTERNS } from '../hostContract';
import { HostConfig } from '../config';
import { networkdDropInPath, networkdDropInText, sysctlConfText, unitText } from '../plan';
import { MANAGED_BEGIN, MANAGED_END, managedStanza } from '../radvdConf';
import { HOST_PROBE_PY } from './hostProbe.py';

/** values no real host has, each valid where it stands (an interface name, an address, a .network file name) */
export const SENTINEL = { uplink: 'civ6Xuplink', bridge: 'civ6Xbridge', address: '2001:db8:c1c6:5e47::1', networkFile: 'civ6Xnetwork.network' } as const;

const sentinelConfig = { uplink: SENTINEL.uplink, bridge: SENTINEL.bridge, gateway: 'fe80::1', addresses: [SENTINEL.address], addressSource: 'option' } as HostConfig;

export function probeConstants() {
  const header = writeHostConf({ uplink: 'eth0', bridge: 'docker0', gateway: 'fe80::1', addresses: [], allow: [], firewall: [] }).split('\n')[0];
  const stanza = managedStanza(SENTINEL.bridge).split('\n');
  if (stanza[0] !== MANAGED_BEGIN || stanza.at(-2) !== MANAGED_END) throw new Error('radvdConf.managedStanza changed its shape: update the export');
  const dropIn = networkdDropInPath(`/etc/systemd/network/${SENTINEL.networkFile}`);
  if (!dropIn) throw new Error('networkdDropInPath refused the sentinel');
  return {
    patterns: PATTERNS,
    paths: PATHS,
    sentinel: SENTINEL,
    sysctl: { ra: sysctlConfText(sentinelConfig, true), noRa: sysctlConfText(sentinelConfig, false) },
    hostConf: { header, keys: CONF_KEYS.map((k) => ({ key: k.key, field: k.field, pattern: k.pattern, quoted: !!k.quoted })) },
    networkd: {
      // plan.ts's NETWORK_FILE: the .network files prepare writes a drop-in beside
      fileRe: '^/(etc|run|usr/lib|lib|usr/local/lib)/systemd/network/([A-Za-z0-9_.@-]{1,200}\\.network)$',
      dropInPath: dropIn,
      ra: networkdDropInText(sentinelConfig, true),
      noRa: networkdDropInText(sentinelConfig, false),
    },
    radvdStanza: stanza.slice(1, -2).join('\n') + '\n',
    radvd: { begin: MANAGED_BEGIN, end: MANAGED_END, beginPrefix: MANAGED_BEGIN.split(' (')[0] },
  };
}

/** the host probe as one python3 program: its constants on the first line, as a Python string literal (JSON's
 * string escapes are a subset of Python's) */
export function hostProbeProgram(): string {
  return `CIV6_CONST = ${JSON.stringify(JSON.stringify(probeConstants()))}\n${HOST_PROBE_PY}`;
}

export const exportArtifacts = {
  agent: artifacts.agent,
  agentSha256: artifacts.agentSha256,
  unit: unitText(),
};
