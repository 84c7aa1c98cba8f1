// One error contract for the whole tool. Every error we raise on purpose is a Civ6Error: it says what happened
// (a message with no UI words in it: no command lines, no flags, no button names), what became of the host
// (`changed`), how a process should exit (`exitCode`), and what the user can do next (`actions`, structured).
// The CLI renders an action as a command line (src/cli.ts), VS Code as a button that runs the command
// (src/vscode/actions.ts); nothing below knows which.
import { l10n } from './l10n';
import type { HostSnapshot } from './snapshot';

/** What the user can do next. Data the renderers need rides along; nothing here is prose. */
export type Action =
  | { id: 'prepare' }
  | { id: 'unprepare'; releaseAll?: boolean }
  | { id: 'assign'; container: string; address?: string }
  | { id: 'release'; address: string }
  | { id: 'verify' }
  /** connect again and trust a host key seen for the first time (after checking its fingerprint) */
  | { id: 'trust-host-key' }
  /** name a host setting the host could not tell us */
  | { id: 'set-host-setting'; setting: 'interface' | 'gateway' | 'bridge' | 'addresses' | 'identity' }
  /** on the host itself (docker start NAME): we do not start containers */
  | { id: 'start-container'; container: string }
  /** the same command again, later or after a fix the message names */
  | { id: 'retry' };

export type ActionId = Action['id'];

/**
 * Exit codes, the CLI's and the contract's: 0 done / every check passes, 1 a check or a step failed (the host may be
 * partly changed: the error says which steps stayed applied), 2 bad input or a refusal (nothing was changed),
 * 3 connection, authentication or host-key failure (nothing was changed).
 */
export const EXIT = { ok: 0, failed: 1, refused: 2, connection: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What became of the host: untouched, some steps applied, its network rolled back, or not known. */
export type HostChange = 'nothing' | 'partial' | 'rolled-back' | 'unknown';

export abstract class Civ6Error extends Error {
  abstract readonly exitCode: ExitCode;
  abstract readonly changed: HostChange;
  readonly actions: Action[];
  constructor(message: string, actions: Action[] = []) {
    super(message);
    this.name = new.target.name;
    this.actions = actions;
  }
}

/** Bad input (an option, an argument, a setting): nothing was changed. */
export class InputError extends Civ6Error {
  readonly exitCode = EXIT.refused;
  readonly changed = 'nothing';
}

/** A host we cannot work on as it is (or a request we will not carry out): nothing was changed. */
export class RefusedError extends Civ6Error {
  readonly exitCode = EXIT.refused;
  readonly changed = 'nothing';
}

export type TransportErrorKind =
  | 'host-key-unknown'
  | 'host-key-changed'
  | 'host-key-revoked'
  /** the host offered a key type known_hosts does not record for it, while it records another type */
  | 'host-key-other-type'
  /** the host refused every key, or offers no key authentication */
  | 'auth'
  /** the key file could not be decrypted with the passphrase given: the only failure that says the passphrase is wrong */
  | 'passphrase'
  | 'connect'
  | 'timeout'
  | 'no-sudo'
  | 'sudo-password'
  /** one run() brought back more than MAX_OUTPUT_BYTES on stdout or stderr */
  | 'output-too-large';

/** The host could not be reached, authenticated or trusted, or a run was cut off. */
export class TransportError extends Civ6Error {
  readonly exitCode = EXIT.connection;
  readonly changed = 'unknown';
  constructor(
    readonly kind: TransportErrorKind,
    message: string,
    actions: Action[] = kind === 'host-key-unknown' ? [{ id: 'trust-host-key' }] : [],
  ) {
    super(message, actions);
  }
}

/** Reading the host failed, or what it sent is not what this version reads. Nothing was changed by us. */
export class SnapshotError extends Civ6Error {
  readonly exitCode = EXIT.failed;
  readonly changed = 'nothing';
}

/** One planned step failed on the host; the steps before it stayed applied (the operation can be run again). */
export class StepFailedError extends Civ6Error {
  readonly exitCode = EXIT.failed;
  readonly changed: HostChange;
  constructor(
    readonly operation: string,
    readonly failed: { id: string; title: string; output: string },
    /** titles of the steps that ran and stayed applied, in order */
    readonly applied: string[],
    actions: Action[] = [{ id: 'retry' }],
    /** the host as the failed apply left it (for a view to show) */
    readonly after?: HostSnapshot,
  ) {
    super(stepFailedMessage(operation, failed.title, failed.output.trim(), applied), actions);
    this.changed = applied.length ? 'partial' : 'nothing';
  }
}

/** StepFailedError's message: each of its four shapes one message, for translation. */
function stepFailedMessage(operation: string, title: string, output: string, applied: string[]): string {
  if (applied.length === 0) {
    return output
      ? l10n.t('{0} stopped at step "{1}": {2}. No step before it had changed anything.', operation, title, output)
      : l10n.t('{0} stopped at step "{1}". No step before it had changed anything.', operation, title);
  }
  const list = applied.join('; ');
  return output
    ? l10n.t('{0} stopped at step "{1}": {2}. These steps stayed applied: {3}.', operation, title, output, list)
    : l10n.t('{0} stopped at step "{1}". These steps stayed applied: {2}.', operation, title, list);
}

/** The change was not confirmed over a new connection: the host rolled its network settings back (or will). */
export class RolledBackError extends Civ6Error {
  readonly exitCode = EXIT.failed;
  readonly changed = 'rolled-back';
}

/** An error's exit code: ours carry one; anything else is a bug or an unforeseen failure (1). */
export function exitCodeOf(e: unknown): ExitCode {
  return e instanceof Civ6Error ? e.exitCode : EXIT.failed;
}

/** The sentence that says what became of the host, for renderers to append. */
export function changedText(e: Civ6Error): string {
  switch (e.changed) {
    case 'nothing':
      return l10n.t('Nothing was changed.');
    case 'rolled-back':
      return l10n.t('The host restores its previous network settings.');
    case 'partial':
    case 'unknown':
      return '';
  }
}
