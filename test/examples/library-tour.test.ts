import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { libraryTour } from '../../src/examples/library-tour';
import { keywordOracle, makeExamples } from '../support/keyword-world';
import { startLMDouble, type LMDouble } from '../support/lm-double';

describe('README library tour', () => {
  let double: LMDouble;
  beforeAll(async () => {
    double = await startLMDouble(keywordOracle());
  });
  afterAll(() => double.close());

  it('bootstraps demos that beat zero-shot and the gate promotes them', async () => {
    const result = await libraryTour({
      model: 'double-model',
      baseURL: double.baseURL,
      trainset: makeExamples(24, 1),
      devset: makeExamples(80, 2),
      cacheDir: mkdtempSync(join(tmpdir(), 'kkachi-tour-')),
    });
    expect(result.program.demos.length).toBeGreaterThan(0);
    expect(result.candidate.passRate).toBeGreaterThan(result.baseline.passRate);
    expect(result.decision.action).toBe('promote');
    expect(result.usage.calls).toBeGreaterThan(0);
  });
});
