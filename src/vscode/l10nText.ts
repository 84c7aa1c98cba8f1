// Translation for the modules that hold UI text without importing vscode (so unit tests hold them): they take an
// `L10n`, which is vscode.l10n in the extension and `english` in the tests. Their messages are written as
// calls of l10n.t with a literal message, so scripts/l10n.mjs finds them as it finds vscode.l10n.t calls.

export interface L10n {
  t(message: string, ...args: Array<string | number>): string;
}

/** The message as written, {0}, {1}… replaced: what vscode.l10n.t gives when no bundle applies. */
export const english: L10n = {
  t: (message, ...args) => message.replace(/\{(\d+)\}/g, (m, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : m)),
};
