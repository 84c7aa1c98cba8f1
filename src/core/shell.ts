// Everything that reaches a remote shell is validated first and then single-quoted.
import { InputError } from './hostSpec';
import { matches } from './hostContract';
import { l10n } from './l10n';

/** POSIX single-quoting: safe for any string. */
export function shq(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}


export function validateInterfaceName(name: string, option: string): string {
  if (!matches('ifname', name) || name === '.' || name === '..') {
    throw new InputError(l10n.t('"{0}" is not a network interface name ({1}): use 1-15 letters, digits, "_", "." or "-"', name, option));
  }
  return name;
}

export function validateContainerName(name: string): string {
  if (!matches('containerName', name.replace(/^\//, ''))) {
    throw new InputError(l10n.t('"{0}" is not a Docker container name or id: names are letters, digits, "_", "." and "-", starting with a letter or digit', name));
  }
  return name.replace(/^\//, '');
}
