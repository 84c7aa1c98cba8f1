// `conoha-ipv6 export --format ansible`: a playbook that sets hosts up as `prepare` does, with Ansible's own modules
// (apt, copy, blockinfile, systemd, command), idempotently: a second run reports changed=0. Each host's settings come
// from the inventory (host variables conoha_ipv6_uplink, conoha_ipv6_gateway, conoha_ipv6_bridge,
// conoha_ipv6_addresses, all optional); what is not given is worked out on the host as prepare does (hostProbe.py.ts).
import { PATHS } from '../hostContract';
import { MANAGED_BEGIN, MANAGED_END } from '../radvdConf';
import { exportArtifacts, hostProbeProgram } from './exportTexts';
import { Unsafe, YamlValue, toYaml } from './yaml';

const AGENT = PATHS.agent;

export interface ExportInfo {
  version: string;
}

export function ansiblePlaybook(info: ExportInfo): string {
  const art = exportArtifacts;
  const file = (path: string) => `{{ civ6.files[${JSON.stringify(path)}] | b64decode }}`;
  const tasks: YamlValue[] = [
    {
      name: 'work out the uplink, gateway and addresses on the host, as prepare does (changes nothing)',
      'ansible.builtin.command': { argv: ['{{ ansible_facts.python.executable | default("/usr/bin/python3") }}', '-c', new Unsafe(hostProbeProgram()), 'facts'] },
      environment: {
        CIV6_IN:
          "{{ {'uplink': conoha_ipv6_uplink | default(''), 'gateway': conoha_ipv6_gateway | default(''), 'bridge': conoha_ipv6_bridge | default(''), 'addresses': conoha_ipv6_addresses | default('')} | to_json }}",
      },
      register: 'civ6_probe',
      changed_when: false,
    },
    { name: 'read what the host told', 'ansible.builtin.set_fact': { civ6: '{{ civ6_probe.stdout | from_json }}' } },
    {
      name: 'stop on a host that cannot be prepared (the reason says what to set in the inventory)',
      'ansible.builtin.assert': { that: ['civ6.ok'], fail_msg: '{{ civ6.error | default("the host probe failed") }}', quiet: true },
    },
    { name: 'install radvd (apt)', 'ansible.builtin.apt': { name: 'radvd', state: 'present' }, when: 'not civ6.radvdInstalled', register: 'civ6_radvd_pkg' },
    { name: `create ${PATHS.stateDir}`, 'ansible.builtin.file': { path: PATHS.stateDir, state: 'directory', mode: '0755' } },
    {
      name: `record the host's state before any change in ${PATHS.previousJson} (kept for unprepare; never overwritten)`,
      'ansible.builtin.copy': { dest: PATHS.previousJson, content: '{{ civ6.previousJson | b64decode }}', mode: '0644', force: false },
    },
    {
      name: `persist the sysctls in ${PATHS.sysctlConf}`,
      'ansible.builtin.copy': { dest: PATHS.sysctlConf, content: file(PATHS.sysctlConf), mode: '0644' },
    },
    {
      name: 'create the directory of the networkd drop-in',
      'ansible.builtin.file': { path: '{{ civ6.networkdDropIn | dirname }}', state: 'directory', mode: '0755' },
      when: 'civ6.networkdDropIn',
    },
    {
      name: 'tell systemd-networkd, which configures the uplink, to keep proxy NDP for the addresses (a drop-in)',
      'ansible.builtin.copy': { dest: '{{ civ6.networkdDropIn }}', content: '{{ civ6.files[civ6.networkdDropIn] | b64decode }}', mode: '0644' },
      when: 'civ6.networkdDropIn',
    },
    {
      name: `advertise a default route to containers: our stanza for the bridge in ${PATHS.radvdConf}`,
      'ansible.builtin.blockinfile': {
        path: PATHS.radvdConf,
        create: true,
        mode: '0644',
        marker: '{mark}',
        marker_begin: new Unsafe(MANAGED_BEGIN),
        marker_end: new Unsafe(MANAGED_END),
        block: '{{ civ6.radvdBlock | b64decode }}',
        // the user's own stanza already advertises on the bridge: prepare leaves it be, and so do we (no block of ours)
        state: "{{ 'absent' if civ6.radvdOwn else 'present' }}",
      },
      register: 'civ6_radvd_conf',
    },
    {
      name: 'start radvd (restart it when its configuration changed) and enable it at boot',
      'ansible.builtin.systemd': { name: 'radvd', enabled: true, state: "{{ 'restarted' if (civ6_radvd_conf.changed or (civ6_radvd_pkg.changed | default(false))) else 'started' }}" },
    },
    {
      name: `install ${AGENT} (re-applies bindings on container start and at boot; sha256 ${art.agentSha256})`,
      'ansible.builtin.copy': { dest: AGENT, content: new Unsafe(art.agent), mode: '0755' },
      register: 'civ6_agent',
    },
    {
      name: `record uplink, bridge, gateway and addresses in ${PATHS.hostConf}`,
      'ansible.builtin.copy': { dest: PATHS.hostConf, content: file(PATHS.hostConf), mode: '0644' },
      register: 'civ6_conf',
    },
    {
      name: `install the systemd unit ${PATHS.unit}`,
      'ansible.builtin.copy': { dest: PATHS.unit, content: new Unsafe(art.unit), mode: '0644' },
      register: 'civ6_unit',
    },
    {
      name: 'apply the kernel settings, routes and proxy entries now (the agent\'s own "setup": accept_ra before forwarding, a fallback default route)',
      'ansible.builtin.command': { argv: [AGENT, 'setup'] },
      when: 'civ6.needsSetup',
    },
    {
      name: 'let traffic to and from the addresses through the firewall (the agent\'s own "firewall")',
      'ansible.builtin.command': { argv: [AGENT, 'firewall'] },
      when: 'civ6.firewallMissing | length > 0',
    },
    {
      name: `enable ${PATHS.unitName} and (re)start it: it watches container starts`,
      'ansible.builtin.systemd': {
        name: PATHS.unitName,
        enabled: true,
        daemon_reload: '{{ civ6_unit.changed }}',
        state: "{{ 'restarted' if (civ6_agent.changed or civ6_conf.changed or civ6_unit.changed) else 'started' }}",
      },
    },
  ];
  const play: YamlValue = [
    {
      name: 'conoha-ipv6: public IPv6 addresses for Docker containers (the setup of "conoha-ipv6 prepare")',
      hosts: '{{ conoha_ipv6_hosts | default("all") }}',
      become: true,
      gather_facts: true,
      tasks,
    },
  ];
  return toYaml(play, [
    `generated by conoha-ipv6 ${info.version}: conoha-ipv6 export --format ansible`,
    'Does what "conoha-ipv6 prepare" does, on every host of the inventory; run it again at any time (idempotent).',
    'Host variables (all optional): conoha_ipv6_addresses (a list, or "PREFIX/124"; default: recorded at the last',
    'prepare, else the ConoHa rule on the uplink\'s global address), conoha_ipv6_uplink and conoha_ipv6_gateway',
    '(default: the IPv6 default route), conoha_ipv6_bridge (default docker0). Needs python3 on the hosts (as Ansible does).',
    'Assign addresses afterwards with: conoha-ipv6 assign --host HOST CONTAINER; check with: conoha-ipv6 verify --host HOST',
  ]);
}
