// Docker Compose in the UI and the CLI: containers grouped by their compose project, and the snippet a user pastes
// into a compose file so that the agent binds an address to the service's container whenever it starts (the
// conoha-ipv6.address label; hostContract.ts LABELS). In docker mode (nativeSnippetOf) the label, or compose's own
// networks: conoha-ipv6: ipv6_address block. Pure: computed from a snapshot (and docker mode's facts).
import { LABELS, matches } from './hostContract';
import { RefusedError } from './errors';
import { l10n } from './l10n';
import { ContainerView, HostSnapshot, defaultAttachment, findContainer } from './snapshot';
import { NATIVE, NativeFacts, engineOf, nativeHolder } from './nativePlan';

export interface ProjectGroup {
  /** the com.docker.compose.project label; undefined: containers outside any compose project */
  project?: string;
  containers: ContainerView[];
}

/** Containers grouped by compose project (projects in name order, then the containers of no project), each group
 * in docker's order. */
export function composeGroups(containers: ContainerView[]): ProjectGroup[] {
  const projects = [...new Set(containers.flatMap((k) => (k.labels.project ? [k.labels.project] : [])))].sort();
  const groups: ProjectGroup[] = projects.map((project) => ({ project, containers: containers.filter((k) => k.labels.project === project) }));
  const loose = containers.filter((k) => !k.labels.project);
  if (loose.length) groups.push({ containers: loose });
  return groups;
}

/** a YAML scalar that needs no thought: double-quoted (our values are names and addresses, validated) */
const y = (v: string) => JSON.stringify(v);

/** The container a compose-snippet target names: a container name or id, else a compose service (one container) */
export function snippetTarget(s: HostSnapshot, target: string): ContainerView {
  const byName = findContainer(s, target);
  if (byName) return byName;
  const byService = s.docker.containers.filter((k) => k.labels.service === target);
  if (byService.length === 1) return byService[0];
  if (byService.length > 1) {
    throw new RefusedError(l10n.t('"{0}" is a service of {1} containers ({2}): name one container', target, byService.length, byService.map((k) => k.name).join(', ')));
  }
  throw new RefusedError(l10n.t('there is no container or compose service "{0}" on {1}', target.slice(0, 60), s.hostname));
}

/** The compose-file text for a container: its service with the labels that make the agent bind an address (the one
 * it holds now, else "auto"), and its networks (compose's names for them; a network from outside the project as an
 * external one). */
export function composeSnippet(s: HostSnapshot, k: ContainerView, hostBridge: string): string {
  const held = s.bindings.find((b) => b.id === k.id || (!b.id && b.container === k.name));
  const project = k.labels.project;
  const service = k.labels.service ?? (matches('containerName', k.name) ? k.name : 'app');
  const att = (held?.network && k.attachments.find((a) => a.network === held.network)) || defaultAttachment(k, hostBridge);
  const nets = k.attachments.filter((a) => !a.refused);
  /** compose's key for a docker network: the project's own networks are "<project>_<key>" */
  const key = (n: string) => (project && n.startsWith(`${project}_`) ? n.slice(project.length + 1) : n);
  const external = nets.filter((a) => !(project && a.network.startsWith(`${project}_`)));
  const lines = [
    `# conoha-ipv6: paste into ${project ? `the compose file of project ${project}` : 'your compose file'}; the agent on the host binds the address`,
    `# when the container starts and releases it when the container is removed (prepare the host first)`,
    'services:',
    `  ${service}:`,
    '    labels:',
    `      ${LABELS.address}: ${y(held?.address ?? 'auto')}${held ? '   # the address it holds now; "auto" takes the first free one' : '   # or one of the host\'s addresses'}`,
  ];
  if (att && nets.length > 1) lines.push(`      ${LABELS.network}: ${y(att.network)}   # the Docker network the address goes on`);
  // Docker's default "bridge" network is no compose network: a service joins it with network_mode, and then no other
  const onDefault = nets.some((a) => a.network === 'bridge');
  if (onDefault && nets.length === 1) lines.push('    network_mode: bridge');
  else if (nets.length) {
    lines.push('    networks:');
    for (const a of nets) if (a.network !== 'bridge') lines.push(`      - ${key(a.network)}`);
    if (onDefault) lines.push(`# note: ${k.name} is also on Docker's default "bridge" network, which a compose service with networks cannot join`);
  }
  external.splice(0, external.length, ...external.filter((a) => !(onDefault && nets.length === 1) && a.network !== 'bridge'));
  if (external.length) {
    lines.push('networks:');
    for (const a of external) lines.push(`  ${key(a.network)}:`, '    external: true', `    name: ${y(a.network)}`);
  }
  if (!att) lines.push(`# note: ${k.name} is on no bridge network an address can go on (${k.attachments.map((a) => a.refused ?? a.network).join('; ') || 'no network'})`);
  return lines.join('\n') + '\n';
}

/** Docker mode's snippet: the two ways a compose service gets a fixed address on the conoha-ipv6 network, to paste
 * one of. The label: conoha-ipv6-native on the host connects the container when it starts (the host keeps which
 * address a name had, so "auto" gives it the same one again). The networks block: compose itself connects it, with
 * the address written in the file. Either way Docker keeps the address across restarts and reboots, and frees it when
 * the container is removed. */
export function nativeComposeSnippet(
  k: ContainerView,
  o: { network: string; held?: string; free?: string },
): string {
  const project = k.labels.project;
  const service = k.labels.service ?? (matches('containerName', k.name) ? k.name : 'app');
  const key = (n: string) => (project && n.startsWith(`${project}_`) ? n.slice(project.length + 1) : n);
  const others = k.attachments.filter((a) => !a.refused && a.network !== o.network);
  const fixed = o.held ?? o.free;
  const lines = [
    `# conoha-ipv6 (docker mode): paste ONE of these into ${project ? `the compose file of project ${project}` : 'your compose file'}.`,
    `# 1) the label: conoha-ipv6-native on the host connects the container to the Docker network ${o.network} with this`,
    `#    address whenever it starts; "auto" takes a free one, and the same one again for a container of the same name`,
    'services:',
    `  ${service}:`,
    '    labels:',
    `      ${LABELS.address}: ${y(o.held ?? 'auto')}${o.held ? `   # the address it holds now; or "auto"` : '   # or one of the host\'s addresses'}`,
    '',
  ];
  if (fixed) {
    lines.push(
      `# 2) or compose itself: the service joins ${o.network} with the address written here (no label needed)`,
      'services:',
      `  ${service}:`,
      '    networks:',
    );
    const onDefault = others.some((a) => a.network === 'bridge');
    for (const a of others) if (a.network !== 'bridge') lines.push(`      ${key(a.network)}: {}`);
    lines.push(`      ${o.network}:`, `        ipv6_address: ${y(fixed)}${o.held ? '' : '   # a free one now'}`, 'networks:', `  ${o.network}:`, '    external: true');
    for (const a of others) if (a.network !== 'bridge' && !(project && a.network.startsWith(`${project}_`))) lines.push(`  ${key(a.network)}:`, '    external: true');
    if (onDefault) lines.push(`# note: ${k.name} is also on Docker's default "bridge" network, which a compose service with networks cannot join`);
  } else lines.push(`# every container address is taken: release one first`);
  lines.push(`# Either way Docker keeps the address across restarts and reboots and frees it when the container is removed.`);
  return lines.join('\n') + '\n';
}

/** Docker mode's snippet for a container or service of a docker-mode host (the facts read with the snapshot) */
export function nativeSnippetOf(s: HostSnapshot, f: NativeFacts, target: string): { container: string; text: string } {
  const k = snippetTarget(s, target);
  const prefix = f.conf?.prefix;
  const reserved = f.conf?.reserved.length ? f.conf.reserved : prefix ? engineOf(s, prefix).reserved : [];
  const ep = f.endpoints.find((e) => e.container === k.name);
  const free = (f.conf?.addresses ?? []).find((x) => !reserved.includes(x) && !nativeHolder(f, x));
  return { container: k.name, text: nativeComposeSnippet(k, { network: NATIVE.network, held: ep?.fixed ?? ep?.address, free }) };
}
