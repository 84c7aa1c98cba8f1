// VS Code in Japanese for the UI tests: a language pack for "ja" registered in a user data dir as VS Code registers
// an installed one (languagepacks.json), for code-server started with --locale ja. The pack carries no translations
// of VS Code's own strings (none can be downloaded here: no marketplace, and npm has no vscode-language-pack-ja), so
// the workbench's own words stay English, but VS Code resolves the display language to "ja": the extension's manifest
// is read with package.nls.ja.json and vscode.l10n.t reads l10n/bundle.l10n.ja.json, as with Microsoft's pack.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A language pack for "ja" without translations of VS Code's own strings, registered as VS Code registers one. */
export function registerJapanesePack(userDataDir: string): void {
  const translations = join(userDataDir, 'ja-pack', 'main.i18n.json');
  mkdirSync(join(userDataDir, 'ja-pack'), { recursive: true });
  writeFileSync(translations, JSON.stringify({ version: '1.0.0', contents: {} }));
  // the workbench reads the pack's first extension (its id), as for an installed pack
  const pack = { hash: 'civ6-test-ja', extensions: [{ extensionIdentifier: { id: 'civ6-test.ja-pack' }, version: '1.0.0' }], translations: { vscode: translations }, label: '日本語' };
  writeFileSync(join(userDataDir, 'languagepacks.json'), JSON.stringify({ ja: pack }));
}
