// ESLint (typescript-eslint) for `npm run lint` and `npm test`. The rules are chosen to catch bugs,
// not to restyle: formatting is Prettier's job (.prettierrc.json). Typed rules (floating promises,
// promises in conditions) read the types through tsconfig.json, so a file must be in its `include`.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/build/**',
      'guest/run/**',
      'guest/work/**',
      'bench/out/**',
      // AssemblyScript (decorators on functions, `load<u8>`): checked by its own tsconfig.json and asc.
      'packages/monitor-core/src/machine/cpu/**',
      'packages/monitor-core/test/fpu/harness.ts',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // A promise nobody awaits loses its rejection. tap's `t.test(...)` queues the subtest itself.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', name: 'test', package: '@tapjs/test' }] }],
      '@typescript-eslint/no-misused-promises': 'error',
      // `Promise.all(xs.map((x) => x.done ?? undefined))` is fine; an array with no promise at all is not.
      '@typescript-eslint/await-thenable': ['error', { allowMixedPromiseArrays: true }],
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    rules: {
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-fallthrough': 'error',
      'no-constant-binary-expression': 'error',
      'no-self-compare': 'error',
      'no-template-curly-in-string': 'off',
      'no-unreachable-loop': 'error',
      'no-promise-executor-return': 'off',
      // `any` stays visible in review; the EventEmitter-style overloads and node-ipc's types need it.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-this-alias': 'off',
      // Rethrowing with a clearer message is common here; the original is not always worth keeping.
      'preserve-caught-error': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: globals.node } },
  { files: ['packages/console-web/page/**/*.js'], languageOptions: { globals: globals.browser } },
);
