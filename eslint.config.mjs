// Lint: TypeScript rules plus Nx's module boundaries, so that stages meet only at io's schemas.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          depConstraints: [
            // io knows Arrow, Parquet and files: it depends on no other package here.
            { sourceTag: 'type:io', onlyDependOnLibsWithTags: [] },
            // sae-core is the math: it may read formats from io, nothing else.
            { sourceTag: 'type:core', onlyDependOnLibsWithTags: ['type:io'] },
            // extract, train, interpret are stages: io and sae-core only, never each other.
            { sourceTag: 'type:stage', onlyDependOnLibsWithTags: ['type:io', 'type:core'] },
            // the cli wires every stage together.
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:io', 'type:core', 'type:stage'] },
          ],
        },
      ],
    },
  },
];
