// One interface for running the project's shell scripts on a host: over SSH (ssh2) or on this machine.
// A script is sent on standard input to `bash -s` running as root: directly when the login user is root,
// otherwise through `sudo -n` (never an interactive password prompt). Each run() is one round trip.
import { EXIT } from '../core/hostContract';
import { l10n } from '../core/l10n';

export interface RunResult {
  stdout: string;
  stderr: string;
  /** exit code of the remote bash (null when it was killed by a signal) */
  code: number | null;
  /** wall time of this round trip, ms */
  ms: number;
}

export interface RunOptions {
  /** give up (and close the channel) after this many ms; default 120000 */
  timeoutMs?: number;
}

export interface Transport {
  /** e.g. "ssh root@[2001:db8::2]:22" or "local" */
  readonly description: string;
  /** number of run() calls so far (round trips after the connection is up) */
  readonly roundTrips: number;
  /** Run `script` as root with bash; resolves with its output and exit code, rejects only on transport errors. */
  run(script: string, options?: RunOptions): Promise<RunResult>;
  close(): Promise<void>;
}

/** Kinds of failure that are not the script's own: the CLI maps them to exit code 3. */
import { TransportError } from '../core/errors';
export { TransportError };
export type { TransportErrorKind } from '../core/errors';

/**
 * The most one run() takes from a host on stdout, and again on stderr, before it gives up on the script. Our scripts
 * print little: the largest, a snapshot of the lab host after prepare with two containers bound
 * (test/fixtures/lab-prepared.json), is 24,978 bytes, so 32 MiB is over 1,300 times that. Only a broken or
 * hostile host gets there, and without a limit it could make this process buffer until it runs out of memory.
 */
export const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

/** One output stream of a run, collected up to MAX_OUTPUT_BYTES. */
export class OutputBuffer {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;

  /** false (and nothing kept) once the stream went over the limit: stop reading it */
  add(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    if (this.bytes > MAX_OUTPUT_BYTES) {
      this.chunks.length = 0;
      return false;
    }
    this.chunks.push(chunk);
    return true;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** `sender` ("the host root@[2001:db8::2]:22") went over the limit; `then` says what was done about it. */
export function tooMuchOutput(stream: 'stdout' | 'stderr', sender: string, then: string): TransportError {
  return new TransportError('output-too-large', l10n.t('{0} sent more than {1} MiB on {2} in one run (our scripts print a few KB); refusing to read more: {3}', sender, MAX_OUTPUT_BYTES / 1024 / 1024, stream, then));
}

/**
 * The command a transport executes; the script itself arrives on stdin. Two exit codes are ours (EXIT in
 * core/hostContract.ts): no sudo on a host where we are not root, and sudo that wants a password.
 */
export const LAUNCHER =
  'if [ "$(id -u)" -eq 0 ]; then exec bash -s; ' +
  `elif ! command -v sudo >/dev/null 2>&1; then echo "conoha-ipv6: not root and no sudo" >&2; exit ${EXIT.noSudo}; ` +
  `elif ! sudo -n true 2>/dev/null; then echo "conoha-ipv6: sudo -n refused (a password is required)" >&2; exit ${EXIT.sudoPassword}; ` +
  'else exec sudo -n bash -s; fi';

/** Turns the launcher's own exit codes into TransportErrors with a message that says what to do. */
export function checkLauncher(result: RunResult, who: string): RunResult {
  if (result.code === EXIT.noSudo) {
    throw new TransportError('no-sudo', l10n.t('{0} is not root and sudo is not installed: log in as root, or install sudo and allow this user to run commands without a password.', who));
  }
  if (result.code === EXIT.sudoPassword) {
    throw new TransportError('sudo-password', l10n.t('sudo on {0} asks for a password: allow this user passwordless sudo (e.g. a line "USER ALL=(ALL) NOPASSWD:ALL" in /etc/sudoers.d/conoha-ipv6), or log in as root.', who));
  }
  return result;
}
