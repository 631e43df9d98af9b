import { posix } from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { LAYERS, PURE_CORE } from './eslint.layers.mjs';

/** Deepest folder nesting under src/ the layer rules cover (src/a/b/c/d/e.ts). */
const MAX_DEPTH = 5;

/**
 * One `no-restricted-imports` config per folder and nesting depth: a relative import that climbs to
 * src/ (`../` once per level) and names a folder the table does not allow is an error.
 */
function layerRules() {
  const configs = [];
  for (const [folder, layer] of Object.entries(LAYERS)) {
    const allowed = [folder, ...layer.imports.map((i) => i.replace(':pure', ''))];
    const pureOnly = layer.imports.includes('core:pure');
    const why = `layer rule (eslint.layers.mjs, docs/ARCHITECTURE.md): ${folder} may import only ${layer.imports.join(', ') || 'itself'}`;
    const depths = folder === 'worker' ? [0] : Array.from({ length: MAX_DEPTH }, (_, i) => i + 1);
    for (const depth of depths) {
      const up = depth === 0 ? '\\./' : '\\.\\./'.repeat(depth);
      const patterns = [{ regex: `^${up}(?!(?:${allowed.join('|')})(?:/|$))[\\w-]+(?:/|$)`, message: why }];
      if (pureOnly) patterns.push({ regex: `^${up}core(?:$|/(?!(?:${PURE_CORE.join('|')})$))`, message: `${why} (pure core files: ${PURE_CORE.join(', ')})` });
      for (const pkg of layer.packages) patterns.push({ regex: pkg, message: `${why}; not this package` });
      const files = folder === 'worker' ? ['src/worker.ts'] : [`src/${folder}/${'*/'.repeat(depth - 1)}*.ts`];
      configs.push({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });
    }
  }
  return configs;
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A pure core file may import only zod and the other pure core files (relative to where it is). */
function pureCoreRules() {
  return PURE_CORE.map((file) => {
    const allowed = PURE_CORE.filter((other) => other !== file).map((other) => {
      const rel = posix.relative(posix.dirname(file), other);
      return rel.startsWith('.') ? rel : `./${rel}`;
    });
    const message = `pure core file (eslint.layers.mjs PURE_CORE): imports only zod and ${PURE_CORE.join(', ')}`;
    const patterns = [
      { regex: `^(?!(?:${allowed.map(escape).join('|')})$)\\.`, message },
      { regex: '^(?!zod$)[^.]', message },
    ];
    return { files: [`src/core/${file}.ts`], rules: { 'no-restricted-imports': ['error', { patterns }] } };
  });
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.kkachi/', '.venv/', 'coverage/', 'test/replay/*.json'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The store is async: a store call that is not awaited would race or lose its error.
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  ...layerRules(),
  ...pureCoreRules(),
);
