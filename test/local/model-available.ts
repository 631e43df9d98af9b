/** Model-backed tests run only where the model is installed (CI installs it); elsewhere they skip and say why. */
import { existsSync } from 'node:fs';
import { modelPath } from '../../src/models/catalogue';

export const TEST_MODEL = 'smollm2-135m';

export function describeWithModel(name: string, body: () => void): void {
  if (existsSync(modelPath(TEST_MODEL))) describe(name, body);
  else describe.skip(`${name} — skipped: ${modelPath(TEST_MODEL)} is absent; install it with: npx kkachi model fetch ${TEST_MODEL}`, body);
}
