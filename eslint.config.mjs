// npm test lints with typescript-eslint's strict, type-checked rules (typecheck first, then lint, then tests).
// A rule is relaxed only here, with a comment that says why.
import tseslint from 'typescript-eslint';

const nodeTest = ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'];

export default tseslint.config(
  { ignores: ['dist/', 'out/', 'node_modules/', '.vscode-test/', 'scripts/', 'test/fixtures/', '**/*.mjs', '**/*.js'] },
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // messages interpolate counts, ports, exit codes and flags; objects, undefined and null (what the rule is
      // really for: "[object Object]" and "undefined" in a user's message) stay errors
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // node:test's test/describe/it return promises that the runner itself awaits
      // `() => void x()` and `() => x()` callbacks whose value nobody reads are the common, clear shorthand
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // a leading underscore names what is left out on purpose (a field destructured away)
      '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^_', argsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: nodeTest }] }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // tests read JSON the CLI printed and what VS Code commands returned, untyped on purpose: a wrong shape
      // fails the assertion beside it, which is the test's job
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // `x!` in a test is an assertion: when it is wrong, the test fails on that line
      '@typescript-eslint/no-non-null-assertion': 'off',
      // tests feed states the types rule out (hostile hosts, truncated JSON) and check what comes back: a check
      // the types call unnecessary is the point of such a test
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // the fuzzers split ASCII-and-emoji alphabets into code points on purpose
      '@typescript-eslint/no-misused-spread': 'off',
    },
  },
);
