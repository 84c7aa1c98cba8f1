// esbuild plugin shared by build.mjs and bench.mjs (the benchmark sends OpenSSH the very script the CLI sends).
import { readFileSync } from 'node:fs';

// The scripts sent at every run (snapshot.sh, apply.sh) travel without their comment lines and indentation: fewer
// bytes over SSH for bash to read. agent.sh is installed on the host as it is (its sha256 says which version runs).
export const lean = {
  name: 'lean-scripts',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]host[\\/]scripts[\\/](snapshot|apply)\.sh$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').split('\n').filter((l) => !/^\s*#/.test(l)).map((l) => l.replace(/^\s+/, '')).join('\n'),
      loader: 'text',
    }));
  },
};

