// Real keys for the SSH tests, made by ssh-keygen: the private key file, its public half and its SHA256 fingerprint.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface KeyFiles {
  file: string;
  type: string;
  base64: string;
  blob: Buffer;
  fingerprint: string;
}

/** `ssh-keygen -t ... -f DIR/NAME` (args such as ['-t', 'ed25519']), encrypted when a passphrase is given */
export function keygen(dir: string, name: string, args: string[], passphrase = ''): KeyFiles {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', ...args, '-N', passphrase, '-C', `test-${name}`, '-f', file]);
  const [type, base64] = readFileSync(`${file}.pub`, 'utf8').trim().split(' ');
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1];
  return { file, type, base64, blob: Buffer.from(base64, 'base64'), fingerprint };
}
