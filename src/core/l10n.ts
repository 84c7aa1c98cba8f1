// Translation of the words core shows a user (check messages, plan step titles and whys). Core imports neither vscode
// nor a bundle: it writes each message as a call of l10n.t with a literal ('… {0} …') and its arguments, and the program installs the translator
// once: the extension vscode.l10n at activation, the CLI one made from l10n/bundle.l10n.ja.json when its locale is
// Japanese (and not for --json). Until then, and in the unit tests, the messages stay as written (English).
// scripts/l10n.mjs and test/unit/l10n.test.ts find the literals here as they find vscode.l10n.t calls in src/vscode.

export interface L10n {
  t(message: string, ...args: Array<string | number>): string;
}

/** The message as written, {0}, {1}… replaced: what vscode.l10n.t gives when no bundle applies. */
export const english: L10n = {
  t: (message, ...args) => message.replace(/\{(\d+)\}/g, (m, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : m)),
};

/** A translator from a bundle's entries (message -> translation, as l10n/bundle.l10n.<lang>.json); a message the
 * bundle lacks stays as written. */
export function bundleL10n(bundle: Record<string, string>): L10n {
  return { t: (message, ...args) => english.t(bundle[message] ?? message, ...args) };
}

let installed: L10n = english;

/** What core's messages go through: the installed translator, English until one is installed. */
export const l10n: L10n = { t: (message, ...args) => installed.t(message, ...args) };

/** Sets the translator core's messages go through from now on (english puts them back as written). */
export function installL10n(impl: L10n): void {
  installed = impl;
}
