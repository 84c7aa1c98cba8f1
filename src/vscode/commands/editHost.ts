// Edit Host: change where a host is (user@host[:port]), its key, name, uplink, gateway, bridge or addresses in the
// conohaIpv6.hosts user setting. From the tree (a host row), the palette, an error's "Set ..." button (with the
// field), or programmatically: { host, field, value } ('' takes an optional field out: its default applies).
import * as vscode from 'vscode';
import { InputError } from '../../core/errors';
import { EDIT_FIELDS, EditField, fieldProblem, fieldValue, isEditField, withField } from '../hostInput';
import { HostEntry, readHosts, writeHosts } from '../settings';
import { pickKey } from './addHost';
import { Arg, argsOf, guarded, pickSession, Services } from './common';

const DEFAULTS: Partial<Record<EditField, string>> = {
  get identity() { return vscode.l10n.t('ssh-agent, then ~/.ssh/id_ed25519, id_ecdsa, id_rsa'); },
  get proxyJump() { return vscode.l10n.t("the ssh config's ProxyJump for the host, else a direct connection"); },
  get mode() { return vscode.l10n.t('radvd (routes to the bridge, radvd, the agent)'); },
  get interface() { return vscode.l10n.t("the default route's"); },
  get gateway() { return vscode.l10n.t("the current default route's"); },
  bridge: 'docker0',
  get addresses() { return vscode.l10n.t("derived from the host's address"); },
};

/** What each field is called, in the display language */
const TITLES: Record<EditField, string> = {
  get host() { return vscode.l10n.t('Host (user@host[:port])'); },
  get identity() { return vscode.l10n.t('Key file'); },
  get proxyJump() { return vscode.l10n.t('Jump hosts (ProxyJump: user@host[:port], commas for several)'); },
  get name() { return vscode.l10n.t('Name in the sidebar'); },
  get mode() { return vscode.l10n.t('Mode (radvd, or docker: a Docker IPv6 network); Prepare Host switches'); },
  get interface() { return vscode.l10n.t('Uplink interface'); },
  get gateway() { return vscode.l10n.t('IPv6 gateway'); },
  get bridge() { return vscode.l10n.t('Docker bridge'); },
  get addresses() { return vscode.l10n.t('Addresses (PREFIX/124 or a list)'); },
};

export async function editHost(svc: Services, arg: Arg): Promise<HostEntry | undefined> {
  const s = await pickSession(svc, arg);
  if (!s) return undefined;
  const a = argsOf(arg);
  return guarded(svc, vscode.l10n.t('Edit {0}', s.name), async () => {
    const hosts = readHosts();
    const entry = hosts.find((h) => h.name === s.name);
    if (!entry) throw new InputError(`there is no host named "${s.name}" in conohaIpv6.hosts`);
    const others = hosts.filter((h) => h !== entry).map((h) => h.name);
    if (a.field !== undefined && !isEditField(a.field)) throw new InputError(`"${a.field}" is not a host setting Edit Host changes (${EDIT_FIELDS.join(', ')})`);
    let field = a.field;
    if (field === undefined) {
      const picked = await vscode.window.showQuickPick(
        EDIT_FIELDS.map((f) => ({ label: TITLES[f], description: fieldValue(entry, f) || vscode.l10n.t('default: {0}', DEFAULTS[f] ?? ''), field: f })),
        { title: vscode.l10n.t('Edit {0}', s.name), placeHolder: vscode.l10n.t('Which setting?') },
      );
      if (!picked) return undefined;
      field = picked.field;
    }
    const f = field;
    let value = a.value;
    if (value === undefined) {
      if (f === 'identity') {
        const key = await pickKey(vscode.l10n.t('{0}: which key?', s.name));
        if (!key) return undefined;
        value = key.identityFile ?? '';
      } else {
        value = await vscode.window.showInputBox({
          title: `${s.name}: ${TITLES[f]}`,
          value: fieldValue(entry, f),
          prompt: DEFAULTS[f] ? vscode.l10n.t('empty: {0}', DEFAULTS[f]) : undefined,
          validateInput: (v) => fieldProblem(entry, f, v, others, vscode.l10n),
          ignoreFocusOut: true,
        });
        if (value === undefined) return undefined;
      }
    }
    const problem = fieldProblem(entry, f, value, others, vscode.l10n);
    if (problem) throw new InputError(problem);
    const next = withField(entry, f, value);
    await writeHosts(hosts.map((h) => (h === entry ? next : h)));
    svc.log.info(`[${next.name}] ${f} set to ${fieldValue(next, f) || '(default)'}`);
    return next;
  });
}
