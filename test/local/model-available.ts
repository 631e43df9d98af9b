/** Model-backed tests run only where the model is installed (CI installs it); elsewhere they skip and say why. */
import { existsSync } from 'node:fs';
import { modelPath, type ModelName } from '../../src/core/lm/catalogue';
import { modelsDir } from '../../src/models/location';

export const TEST_MODEL = 'smollm2-135m';

export function describeWithModel(name: string, body: () => void, model: ModelName = TEST_MODEL): void {
  const file = modelPath(model, modelsDir());
  if (existsSync(file)) describe(name, body);
  else describe.skip(`${name} — skipped: ${file} is absent; install it with: npx kkachi model fetch ${model}`, body);
}
