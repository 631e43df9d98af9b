/**
 * Loads node-llama-cpp, an ES module with top-level await, from Kkachi's CommonJS build.
 *
 * TypeScript compiles `import()` to `require()` under CommonJS, and Node cannot `require` an ES module
 * graph with top-level await; Jest's module sandbox cannot run a native `import()` either. Node's own
 * CommonJS loader compiles a one-line module whose `import()` goes through the default ESM loader —
 * that works in plain Node, the compiled CLI and Jest alike.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

export type NodeLlamaCpp = typeof import('node-llama-cpp');

interface CompilableModule {
  exports: unknown;
  _compile(source: string, filename: string): void;
}

let loaded: Promise<NodeLlamaCpp> | undefined;

export function importNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  loaded ??= nativeImport<NodeLlamaCpp>(pathToFileURL(require.resolve('node-llama-cpp')).href);
  return loaded;
}

function nativeImport<T>(url: string): Promise<T> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the real loader, not a sandboxed one
  const { Module } = require('node:module') as { Module: new (id: string) => CompilableModule };
  const filename = path.join(__dirname, 'local-esm-bridge.cjs');
  const bridge = new Module(filename);
  bridge._compile('module.exports = (url) => import(url);', filename);
  return (bridge.exports as (url: string) => Promise<T>)(url);
}
