// Commit-confirmed changes (Juniper's "commit confirmed", Cisco's "reload in"): before prepare touches what
// keeps the host reachable (forwarding, accept_ra, proxy NDP, the default route), it arms a rollback on the
// host that does not depend on the SSH session: a systemd timer, or a detached sleeper without systemd. After
// the change, the client opens a NEW connection, checks the default route and disarms. If that connection
// cannot be made, the host restores its previous network settings by itself within N seconds.
import { HostConfig } from './config';
import { shq } from './shell';
import { HostSnapshot, Route, defaultRoutes, sysctl } from './snapshot';
import { PATHS } from './hostContract';

export const ROLLBACK_DIR = PATHS.runDir;
export const ROLLBACK_SCRIPT = PATHS.rollbackScript;
export const ROLLBACK_ARMED = PATHS.rollbackArmed;
export const ROLLED_BACK = PATHS.rolledBack;
export const DEFAULT_ROLLBACK_SECONDS = 60;

/** The steps whose effect can cut the host off: a rollback is armed before the first of them. */
export const NETWORK_STEPS = ['bridge-ipv6', 'accept-ra', 'forwarding', 'default-route', 'proxy-ndp'];

export function validRollbackSeconds(n: number): boolean {
  return Number.isInteger(n) && n >= 10 && n <= 3600;
}

/** What the host runs if the change is not confirmed: the values it had before this prepare. */
export function rollbackScript(s: HostSnapshot, c: HostConfig): string {
  const set = (dev: string, key: 'forwarding' | 'accept_ra' | 'proxy_ndp', v: number | undefined) =>
    v === undefined ? [] : [`echo ${v} > ${shq(`/proc/sys/net/ipv6/conf/${dev}/${key}`)}`];
  const routes = defaultRoutes(s).filter((r): r is Route & { gateway: string; dev: string } => Boolean(r.gateway && r.dev));
  return [
    '#!/bin/sh',
    `# written by conoha-ipv6 prepare at ${new Date().toISOString()}: the network as it was, restored if the`,
    '# change is not confirmed over a new connection in time',
    ...set(c.uplink, 'accept_ra', sysctl(s, c.uplink, 'accept_ra')),
    ...set('all', 'forwarding', sysctl(s, 'all', 'forwarding')),
    ...set(c.uplink, 'proxy_ndp', sysctl(s, c.uplink, 'proxy_ndp')),
    `ip -6 route del default via ${shq(c.gateway)} dev ${shq(c.uplink)} metric 2048 2>/dev/null`,
    // the routes it had: an RA route comes back by itself with the old sysctls; a static one is put back
    ...routes.filter((r) => r.protocol !== 'ra').map((r) => `ip -6 route replace default via ${shq(r.gateway)} dev ${shq(r.dev)}${r.metric ? ` metric ${r.metric}` : ''}`),
    // nothing re-applies the change: the persisted sysctls and the agent go
    `rm -f ${PATHS.sysctlConf}`,
    `if [ -d /run/systemd/system ]; then systemctl disable --now ${PATHS.unitName} >/dev/null 2>&1; else ${PATHS.agent} stop-watch 2>/dev/null; fi`,
    `mkdir -p ${PATHS.stateDir} && date -u +%FT%TZ > ${ROLLED_BACK}`,
    `rm -f ${ROLLBACK_ARMED}`,
    '',
  ].join('\n');
}

/** bash (in the apply script, where civ6_write exists): write the rollback script and arm it for `seconds` */
export function armScript(s: HostSnapshot, c: HostConfig, seconds: number): string {
  const b64 = Buffer.from(rollbackScript(s, c)).toString('base64');
  return [
    `mkdir -p ${ROLLBACK_DIR}`,
    `civ6_write ${ROLLBACK_SCRIPT} 0700 ${shq(b64)}`,
    'if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1; then',
    // (steps run under set -e: a unit that is not there is not a failure)
    '  systemctl stop conoha-ipv6-rollback.timer conoha-ipv6-rollback.service >/dev/null 2>&1 || true',
    '  systemctl reset-failed conoha-ipv6-rollback.service conoha-ipv6-rollback.timer >/dev/null 2>&1 || true',
    `  systemd-run --quiet --unit=conoha-ipv6-rollback --on-active=${seconds} /bin/sh ${ROLLBACK_SCRIPT}`,
    `  echo systemd > ${ROLLBACK_ARMED}`,
    'else',
    `  setsid sh -c 'sleep ${seconds}; exec /bin/sh ${ROLLBACK_SCRIPT}' </dev/null >/dev/null 2>&1 &`,
    `  echo "pid $!" > ${ROLLBACK_ARMED}`,
    'fi',
    `echo "armed: the host restores its network settings by itself in ${seconds} s unless a new connection confirms the change"`,
  ].join('\n');
}

/** bash: stop the armed rollback (timer or sleeper); exit 2 when none was armed */
const DISARM = [
  `a=$(cat ${ROLLBACK_ARMED} 2>/dev/null) || a=''`,
  'case $a in',
  '  systemd) systemctl stop conoha-ipv6-rollback.timer conoha-ipv6-rollback.service >/dev/null 2>&1 ;;',
  '  "pid "*) p=${a#pid }',
  `    if [[ $p =~ ^[1-9][0-9]*$ ]] && tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -q ${shq(ROLLBACK_SCRIPT)}; then kill "$p"; fi ;;`,
  "  '') echo 'no rollback was armed (it ran already?)'; exit 2 ;;",
  'esac',
].join('\n');

/** bash, run over a NEW connection: the host still has a default route, so the change stands; disarm */
export function confirmScript(): string {
  return ['{', "if [ -z \"$(ip -6 route show default)\" ]; then echo 'no IPv6 default route'; exit 1; fi", DISARM, `rm -f ${ROLLBACK_ARMED} ${ROLLED_BACK}`, 'echo confirmed', '}', ''].join('\n');
}

/** bash: roll back at once (the apply was cut short, and the host is reachable again) */
export function rollbackNowScript(): string {
  return ['{', `if [ ! -e ${ROLLBACK_ARMED} ]; then echo not-armed; exit 0; fi`, DISARM, `/bin/sh ${ROLLBACK_SCRIPT}`, 'echo rolled-back', '}', ''].join('\n');
}
