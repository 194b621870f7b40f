// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.ambit/**', 'schemas/src/generated/**', 'bench/results/**'] },
  js.configs.recommended,
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } } },
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        Buffer: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@confluentinc/kafka-javascript', message: 'Only libs/kafka imports the Kafka client.' },
            { name: 'kafkajs', message: 'Only libs/kafka imports the Kafka client.' },
            { name: 'classic-level', message: 'Only libs/state imports the storage engine.' },
          ],
        },
      ],
    },
  },
  { files: ['libs/kafka/**', 'bench/**'], rules: { 'no-restricted-imports': 'off' } },
);
