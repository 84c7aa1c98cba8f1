// `conoha-ipv6 export`: the setup of prepare as an Ansible playbook or as cloud-init user-data.
import { Overrides } from '../config';
import { validateGateway } from '../derive';
import { InputError } from '../hostSpec';
import { ansiblePlaybook } from './ansible';
import { cloudInitUserData } from './cloudInit';

export const EXPORT_FORMATS = ['ansible', 'cloud-init'] as const;
const VERSION = '0.1.0';

export function exportSetup(format: string | undefined, o: Overrides, gateway?: string): string {
  if (format === 'ansible') {
    if (o.interface || o.gateway || o.bridge || o.addresses) throw new InputError('export --format ansible takes each host\'s settings from the inventory (host variables conoha_ipv6_uplink, conoha_ipv6_gateway, conoha_ipv6_bridge, conoha_ipv6_addresses), not from options');
    return ansiblePlaybook({ version: VERSION });
  }
  if (format === 'cloud-init') {
    return cloudInitUserData({ version: VERSION }, {
      uplink: o.interface,
      bridge: o.bridge,
      gateway: gateway === undefined ? undefined : validateGateway(gateway),
      addresses: o.addresses ? (o.addresses.prefix ? [o.addresses.prefix] : o.addresses.addresses) : undefined,
    });
  }
  throw new InputError(`export needs --format ${EXPORT_FORMATS.join(' or ')}${format === undefined ? '' : ` (not ${JSON.stringify(format)})`}`);
}
