// Bundles the product with esbuild: dist/extension.js + dist/ssh2.js (VS Code) and dist/cli.js + dist/cli-main.js (terminal), and with
// --tests also every test/**/*.test.ts into out/test/ (same loaders, so tests run the shipped scripts).
// Remote shell scripts (src/host/scripts/*.sh) are imported as text and travel inside the bundles.
import { build } from 'esbuild';
import { readFileSync, readdirSync, statSync, rmSync } from 'node:fs';
import { lean } from './esbuild-lean.mjs';
import { l10nKeys } from './l10n.mjs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

// dist/ only (the tests also use ssh2's server): "ssh2" is src/host/ssh2Client.ts (client and key parser), and
// the client's SFTP module (never used: the tool opens exec channels only) is left out.
const clientOnlySsh2 = {
  name: 'client-only-ssh2',
  setup(b) {
    b.onResolve({ filter: /^ssh2$/ }, () => ({ path: join(root, 'src/host/ssh2Client.ts') }));
    b.onResolve({ filter: /[\\/]SFTP\.js$/ }, (args) => (args.importer.includes(`${join('node_modules', 'ssh2')}`) ? { path: 'sftp', namespace: 'no-sftp' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'no-sftp' }, () => ({
      contents: "class SFTP { constructor() { throw new Error('SFTP is not part of this build'); } }\nmodule.exports = { SFTP };",
      loader: 'js',
    }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  loader: { '.sh': 'text' },
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
  // ssh2's optional native parts (cpu-features, sshcrypto.node) do not load across Node versions;
  // ssh2 falls back to pure JS when they are missing, so they stay out of the bundle.
  external: ['vscode', 'cpu-features', '*.node'],
  plugins: [lean],
};
const dist = { ...common, plugins: [lean, clientOnlySsh2] };

// The extension does not carry ssh2 in dist/extension.js: it loads dist/ssh2.js (the same client-only ssh2) on the
// first connection, so activation parses about a third of the bytes. Only ssh2 moves: our own classes
// (TransportError...) stay in one bundle, so instanceof keeps working.
const ssh2Apart = {
  name: 'ssh2-apart',
  setup(b) {
    b.onResolve({ filter: /^ssh2$/ }, () => ({ path: './ssh2.js', external: true }));
  },
};

// The CLI carries l10n/bundle.l10n.ja.json for core's and host's messages (src/cli.ts imports it): only the entries of
// the l10n.t calls in src/core and src/host go in (the extension's own are read by VS Code from the file), and Japanese stays UTF-8 in the file
// rather than \u escapes, which would double its bytes.
const coreL10nOnly = {
  name: 'core-l10n-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]l10n[\\/]bundle\.l10n\.[\w-]+\.json$/ }, (args) => {
      const keys = new Set(['src/core', 'src/host'].flatMap((d) => l10nKeys(join(root, d))));
      const all = JSON.parse(readFileSync(args.path, 'utf8'));
      return { contents: JSON.stringify(Object.fromEntries(Object.entries(all).filter(([k]) => keys.has(k)))), loader: 'json' };
    });
  },
};
const cli = { ...dist, plugins: [...dist.plugins, coreL10nOnly], charset: 'utf8' };

const minify = !process.argv.includes('--no-minify');
await Promise.all([
  build({ ...dist, plugins: [lean, ssh2Apart], minify, entryPoints: ['src/vscode/extension.ts'], outfile: 'dist/extension.js' }),
  build({ ...dist, minify, entryPoints: ['src/host/ssh2Client.ts'], outfile: 'dist/ssh2.js' }),
  build({ ...cli, minify, entryPoints: ['src/cli.ts'], outfile: 'dist/cli-main.js' }),
  // the command (package.json "bin"): starts dist/cli-main.js with a compile cache (src/cliStart.ts)
  build({ ...dist, minify, entryPoints: ['src/cliStart.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
]);

if (process.argv.includes('--tests')) {
  const tests = [];
  const walk = (dir) => {
    for (const name of readdirSync(join(root, dir))) {
      const rel = join(dir, name);
      if (statSync(join(root, rel)).isDirectory()) walk(rel);
      else if (name.endsWith('.test.ts')) tests.push(rel);
    }
  };
  walk('test');
  rmSync(join(root, 'out'), { recursive: true, force: true });
  await build({ ...common, entryPoints: tests, outdir: 'out/test', outbase: 'test', sourcemap: 'inline' });
  // the suite that runs inside VS Code's extension host (not a node:test file)
  await build({ ...common, entryPoints: ['test/vscode/suite/index.ts'], outfile: 'out/vscode-suite/index.js', sourcemap: 'inline' });
  // npm run test:desktop (outside out/test/, which node --test runs)
  await build({ ...common, entryPoints: ['test/vscode/desktop.ts'], outfile: 'out/vscode-desktop/desktop.js', external: [...common.external, '@vscode/test-electron'] });
  // npm run demo
  await build({ ...common, entryPoints: ['test/vscode/demo.ts'], outfile: 'out/vscode-demo/demo.js' });
}
