// Lint that catches what review misses (STYLE.md): floating promises, `any`, and
// anything non-deterministic or I/O-bound inside workflow code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', 'bench/results/', 'entities/migrations/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    // Companions and the registry run in the API and the worker, never in the workflow sandbox.
    ignores: ['workflows/**/*.client.ts', 'workflows/registry.ts', 'workflows/kind.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'http', 'https', 'net', 'crypto', 'child_process', 'pg'], message: 'Workflows are deterministic: no Node built-ins or I/O. Use an activity.' },
            { group: ['@mikro-orm/*', 'openai', 'twilio', 'googleapis', 'jsforce', 'koa', 'pino', '@temporalio/client', '@temporalio/activity'], message: 'Workflows do no I/O: call an activity.' },
            { group: ['../entities/*', '../providers/*', '../api/*', '../workers/*'], message: 'Workflows import activity types only.' },
          ],
        },
      ],
    },
  },
  {
    // Tenancy by construction: the tenant filter is switched off only through CROSS_TENANT,
    // and units of work come only from tenantEm/systemEm (lib/db.ts).
    files: ['**/*.ts'],
    ignores: ['lib/db.ts', 'test/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "Property[key.name='filters'][value.value=false]", message: 'Switch the tenant filter off only with CROSS_TENANT from lib/db.ts.' },
        { selector: "CallExpression[callee.property.name='fork']", message: 'Get a unit of work from tenantEm() or systemEm() in lib/db.ts.' },
        { selector: "CallExpression[callee.property.name=/^(setFilterParams|addFilter)$/]", message: 'Tenant filter parameters are set only in lib/db.ts.' },
      ],
    },
  },
  {
    // Test helpers read JSON answers of many shapes; `any` there keeps assertions readable.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
