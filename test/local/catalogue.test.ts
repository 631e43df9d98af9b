import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CATALOGUE, ModelMissingError } from '../../src/core/lm/catalogue';
import { modelsDir, resolveModel, resolveModelPath } from '../../src/models/location';
import { createLocalLM } from '../../src/core/lm/local';

const empty = () => mkdtempSync(path.join(os.tmpdir(), 'kkachi-models-'));

describe('model catalogue', () => {
  it('puts models under KKACHI_MODELS_DIR, else <KKACHI_HOME or .kkachi>/models', () => {
    expect(modelsDir({ KKACHI_MODELS_DIR: '/srv/models' })).toBe('/srv/models');
    expect(modelsDir({ KKACHI_HOME: '/srv/kk' })).toBe('/srv/kk/models');
    expect(modelsDir({})).toBe(path.resolve('.kkachi', 'models'));
  });

  it('resolves a catalogue name, KKACHI_MODEL as a name or a path, and keeps the entry for a catalogue file', () => {
    const dir = empty();
    const file = path.join(dir, CATALOGUE['gemma3-270m'].file);
    writeFileSync(file, 'gguf');
    expect(resolveModelPath('gemma3-270m', { KKACHI_MODELS_DIR: dir })).toBe(file);
    expect(resolveModelPath(undefined, { KKACHI_MODELS_DIR: dir, KKACHI_MODEL: 'gemma3-270m' })).toBe(file);
    const byPath = resolveModel(undefined, { KKACHI_MODEL: file });
    expect(byPath).toMatchObject({ path: file, entry: { name: 'gemma3-270m', render: 'plain' } });
  });

  it('names the install command when a model is missing', () => {
    const dir = empty();
    const attempt = () => resolveModelPath('smollm2-135m', { KKACHI_MODELS_DIR: dir });
    expect(attempt).toThrow(ModelMissingError);
    expect(attempt).toThrow(
      `Model smollm2-135m is not installed at ${path.join(dir, CATALOGUE['smollm2-135m'].file)}. Install it with: npx kkachi model fetch smollm2-135m`,
    );
  });

  it('createLocalLM rejects with ModelMissingError before loading anything', async () => {
    const created = createLocalLM({ model: 'gemma3-270m', modelsDir: empty() });
    await expect(created).rejects.toBeInstanceOf(ModelMissingError);
    await expect(created).rejects.toThrow('Install it with: npx kkachi model fetch gemma3-270m');
  });

  it('the core never reads the environment: a catalogue name needs a models directory passed in', async () => {
    await expect(createLocalLM({ model: 'gemma3-270m' })).rejects.toThrow('catalogue model gemma3-270m: no models directory given');
  });
});
