// Translation for the modules that hold UI text without importing vscode (so unit tests hold them): they take an
// `L10n`, which is vscode.l10n in the extension and `english` in the tests. Their messages are written as
// calls of l10n.t with a literal message, so scripts/l10n.mjs finds them as it finds vscode.l10n.t calls.
// The interface and `english` live in core (src/core/l10n.ts), whose own messages use the installed translator.
export { L10n, english } from '../core/l10n';
