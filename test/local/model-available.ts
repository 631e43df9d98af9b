/** Model-backed tests run only where the model is installed (CI installs it); elsewhere they skip and say why. */
import { existsSync } from 'node:fs';
import { modelPath, type ModelName } from '../../src/models/catalogue';

export const TEST_MODEL = 'smollm2-135m';

export function describeWithModel(name: string, body: () => void, model: ModelName = TEST_MODEL): void {
  if (existsSync(modelPath(model))) describe(name, body);
  else describe.skip(`${name} — skipped: ${modelPath(model)} is absent; install it with: npx kkachi model fetch ${model}`, body);
}
