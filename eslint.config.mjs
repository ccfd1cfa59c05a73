// ESLint flat config: typescript-eslint strict type-checked rules, the sans-I/O boundary of
// src/protocol and src/media, and size/complexity budgets (STYLE.md 5.3, 5.9).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ioModules = [
  'node:dgram',
  'node:net',
  'node:tls',
  'node:http',
  'node:https',
  'node:fs',
  'node:fs/promises',
  'node:child_process',
  'node:worker_threads',
  'node:timers',
  'node:timers/promises',
  'dgram',
  'net',
  'tls',
  'http',
  'https',
  'fs',
  'child_process',
  'ws',
  'undici',
  'fastify',
  'better-sqlite3',
  'pino',
  'ioredis',
];

export default tseslint.config(
  {
    ignores: [
      '**/*.mjs',
      '**/*.js',
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'bin/**',
      '.tmp/**',
      '.data/**',
      'eslint.config.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      curly: ['error', 'all'],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      // Bitwise and index-heavy DSP code reads better with plain loops and non-null checks done by hand.
      '@typescript-eslint/prefer-for-of': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'max-lines': ['error', { max: 500, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 120, skipBlankLines: true, skipComments: true }],
      complexity: ['error', 30],
      'max-depth': ['error', 5],
    },
  },
  {
    // The sans-I/O core: no sockets, files, timers, clock, randomness or environment.
    files: ['src/protocol/**/*.ts', 'src/media/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ioModules.map((name) => ({
            name,
            message: 'protocol/ and media/ are sans-I/O; use an adapter.',
          })),
          patterns: [
            {
              group: ['**/engine/**', '**/adapters/**', '**/api/**', '**/config/**', '**/ports/**'],
              message: 'protocol/ and media/ depend only on each other and errors/.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate', 'process', 'fetch'],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Time is an input (nowMs).' },
        { object: 'Math', property: 'random', message: 'Randomness is a port.' },
      ],
    },
  },
  {
    // The engine sees ports, not adapters.
    files: ['src/engine/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ioModules.map((name) => ({ name, message: 'engine/ reaches I/O only through ports.' })),
          patterns: [
            {
              group: ['**/adapters/**', '**/api/**', '**/config/load*'],
              message: 'engine/ depends on protocol, media, ports, errors.',
            },
            {
              // A stream's wire protocol is chosen by name from the registry the composition root hands
              // in (EngineDeps.dialects); the engine sees only protocol/stream-dialect.types.ts.
              group: ['**/*-dialect', '**/*-dialect.js', '**/stream-dialects', '**/stream-dialects.js'],
              message: 'engine/ must not import a stream dialect; use the injected StreamDialectRegistry.',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Use the clock port.' },
        { object: 'Math', property: 'random', message: 'Use the random port.' },
      ],
    },
  },
  {
    // The use cases combine the engine with ports; the composition root builds the adapters and passes
    // them in. A type app/ needs from an adapter belongs in a port.
    files: ['src/app/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/adapters/**'],
              message: 'app/ gets adapters through ports; only compose.ts/server.ts build them.',
            },
            {
              group: ['**/compose', '**/compose.js', '**/server', '**/server.js', '**/cli/**'],
              message: 'app/ does not depend on the composition roots or the CLI.',
            },
          ],
        },
      ],
    },
  },
  {
    // Adapters implement ports; they know protocol, media and errors, never the engine or the use cases.
    files: ['src/adapters/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/engine/**', '**/app/**', '**/api/**', '**/compose', '**/compose.js', '**/cli/**'],
              message: 'adapters/ depend on ports, protocol, media, errors (and each other).',
            },
          ],
        },
      ],
    },
  },
  {
    // The REST API reads the store and changes calls through the CallCommands port: it knows neither the
    // engine nor the use cases (their types come through src/ports), so it runs, and renders its
    // OpenAPI document, with no engine at all.
    files: ['src/api/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/engine/**',
                '**/app/**',
                '**/adapters/**',
                '**/compose',
                '**/compose.js',
                '**/cli/**',
              ],
              message: 'api/ reads the CallStore and writes through the CallCommands port (src/ports/).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'scripts/**/*.ts', 'examples/**/*.ts'],
    rules: {
      'max-lines-per-function': 'off',
      'max-lines': ['error', { max: 900, skipBlankLines: true, skipComments: true }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', name: ['test', 'it', 'describe', 'suite'], package: 'node:test' },
          ],
        },
      ],
    },
  },
);
