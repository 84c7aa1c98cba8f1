// Everything that reaches a remote shell is validated first and then single-quoted.
import { InputError } from './hostSpec';

/** POSIX single-quoting: safe for any string. */
export function shq(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
/** Docker's own rule for container names. */
const CONTAINER = /^\/?[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function validateInterfaceName(name: string, option: string): string {
  if (!IFNAME.test(name) || name === '.' || name === '..') {
    throw new InputError(`"${name}" is not a network interface name (${option}): use 1-15 letters, digits, "_", "." or "-"`);
  }
  return name;
}

export function validateContainerName(name: string): string {
  if (!CONTAINER.test(name)) {
    throw new InputError(`"${name}" is not a Docker container name or id: names are letters, digits, "_", "." and "-", starting with a letter or digit`);
  }
  return name.replace(/^\//, '');
}
