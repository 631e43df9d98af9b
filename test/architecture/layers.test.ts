/**
 * The layer rules are lint errors (eslint.layers.mjs → eslint.config.mjs), docs/ARCHITECTURE.md shows
 * the same table, and every folder under src/ has a row.
 */
import { execFileSync, spawnSync } from 'node:child_process';
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

function lint(file: string, code: string): { status: number | null; output: string } {
  const eslint = join(ROOT, 'node_modules/eslint/bin/eslint.js');
  const run = spawnSync(process.execPath, [eslint, '--stdin', '--stdin-filename', file], { cwd: ROOT, input: code, encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
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
    const wrong = lint('src/core/violation.ts', "import { openStore } from '../store';\nexport const x = openStore;\n");
    expect(wrong.status).toBe(1);
    expect(wrong.output).toContain('layer rule');
    const impure = lint('src/workflows/violation.ts', "import { createLM } from '../core/lm/factory';\nexport const x = createLM;\n");
    expect(impure.output).toContain('pure core files');
    const impureInPure = lint('src/core/task-spec.ts', "import { createLM } from './lm/factory';\nexport const x = createLM;\n");
    expect(impureInPure.output).toContain('pure core file');
    const fine = lint('src/workflows/fine.ts', "import { parseTaskSpec } from '../core/task-spec';\nexport const x = parseTaskSpec;\n");
    expect(fine).toEqual({ status: 0, output: '' });
  });
});
