/**
 * The layer rules are lint errors (eslint.layers.mjs → eslint.config.mjs), docs/ARCHITECTURE.md shows
 * the same table, and every folder under src/ has a row.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

interface Layer {
  imports: string[];
}

/** The lint table, read by Node itself (it is an ES module; Jest runs CommonJS). */
function lintLayers(): Record<string, Layer> {
  const script = "import('./eslint.layers.mjs').then((m) => process.stdout.write(JSON.stringify(m.LAYERS)))";
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' }));
}

/** The docs table: folder → the folders of its "may import" column ("(pure files)" kept as `core:pure`). */
function documentedLayers(): Record<string, string[]> {
  const doc = readFileSync(join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Layers'), doc.indexOf('## The contract'));
  const rows: Record<string, string[]> = {};
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const folder = /^`(\w+)`$/.exec(cells[1] ?? '')?.[1];
    if (!folder || cells.length < 5) continue;
    rows[folder] = (cells[3] as string)
      .split(',')
      .map((c) => c.trim())
      .filter((c) => c !== '—')
      .map((c) => c.replace(/^`(\w+)`( \(pure files\))?$/, (_, name: string, pure?: string) => (pure ? `${name}:pure` : name)));
  }
  return rows;
}

/**
 * Lints each text as if it were the given (existing) file, with the project's ESLint config, in one
 * Node process (the config is type-aware, so loading it once matters). Returns each file's messages.
 */
function lintAs(cases: [file: string, code: string][]): string[][] {
  const script = `
    const { ESLint } = await import('eslint');
    const eslint = new ESLint({ cwd: process.cwd() });
    const out = [];
    for (const [file, code] of JSON.parse(process.env.CASES)) {
      const [result] = await eslint.lintText(code, { filePath: file });
      out.push(result.messages.map((m) => m.ruleId + ': ' + m.message));
    }
    process.stdout.write(JSON.stringify(out));`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, CASES: JSON.stringify(cases) }, encoding: 'utf8' });
  return JSON.parse(output);
}

describe('layers', () => {
  const layers = lintLayers();

  it('every folder under src/ (and src/worker.ts) has a layer, and every layer a folder', () => {
    const folders = readdirSync(join(ROOT, 'src'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(Object.keys(layers).sort()).toEqual([...folders, 'worker'].sort());
  });

  it('docs/ARCHITECTURE.md shows the lint table', () => {
    const documented = documentedLayers();
    expect(Object.keys(documented).sort()).toEqual(Object.keys(layers).sort());
    for (const [folder, layer] of Object.entries(layers)) expect([folder, [...(documented[folder] ?? [])].sort()]).toEqual([folder, [...layer.imports].sort()]);
  });

  it('npm run lint fails on an import that crosses a layer the wrong way, and passes an allowed one', () => {
    const [wrong, impure, impureInPure, fine] = lintAs([
      ['src/core/canonical.ts', "import { openStore } from '../store';\nexport const x = openStore;\n"],
      ['src/workflows/spec.ts', "import { createLM } from '../core/lm/factory';\nexport const x = createLM;\n"],
      ['src/core/task-spec.ts', "import { createLM } from './lm/factory';\nexport const x = createLM;\n"],
      ['src/workflows/spec.ts', "import { parseTaskSpec } from '../core/task-spec';\nexport const x = parseTaskSpec;\n"],
    ]);
    expect(wrong).toEqual([expect.stringMatching(/^no-restricted-imports: .*layer rule.*core may import only itself/)]);
    expect(impure).toEqual([expect.stringMatching(/^no-restricted-imports: .*pure core files/)]);
    expect(impureInPure).toEqual([expect.stringMatching(/^no-restricted-imports: .*pure core file/)]);
    expect(fine).toEqual([]);
  }, 300_000);
});
