/** How activity failures reach Temporal: permanent ones non-retryable, transient ones retryable, secrets never. */
import { ApplicationFailure } from '@temporalio/common';
import { startLMDouble, type LMDouble } from '../support/lm-double';
import { harness, keywordSpec, type Harness } from './support';

const SECRET = 'sk-kkachi-test-0123456789abcdef';
const savedKey = process.env.OPENAI_API_KEY;

let double: LMDouble;
let h: Harness;
let datasetId: string;
let baselineId: string;
beforeAll(async () => {
  process.env.OPENAI_API_KEY = SECRET;
  double = await startLMDouble();
  h = harness();
  const spec = keywordSpec(double.baseURL);
  baselineId = (await h.run('ensureBaseline', [spec])).result.versionId;
  datasetId = (await h.run('buildDataset', [spec, { cycle: 1 }])).result.datasetId;
});
afterAll(async () => {
  process.env.OPENAI_API_KEY = savedKey;
  await h.store.close();
  await double.close();
});
beforeEach(() => double.reset());

async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('a 401 (bad API key) is non-retryable and stops the run at once', () => {
  beforeEach(() =>
    // Like OpenAI, the double echoes the key it rejected: it must not reach the failure.
    double.setHandler(() => ({ status: 401, body: { error: { message: `Incorrect API key provided: ${SECRET}`, type: 'invalid_request_error' } } })),
  );

  it('optimize', async () => {
    const err = await failure(h.run('optimize', [keywordSpec(double.baseURL), { datasetId, parentVersionId: baselineId, cycle: 1 }]));
    expect(err).toMatchObject({ nonRetryable: true, type: 'LMError' });
    expect(err.message).toMatch(/Incorrect API key/);
    expect(err.message).not.toContain(SECRET);
    expect(double.requests).toHaveLength(1);
  });

  it('evaluate', async () => {
    const err = await failure(h.run('evaluate', [keywordSpec(double.baseURL), { versionId: baselineId, datasetId, split: 'holdout' }]));
    expect(err).toMatchObject({ nonRetryable: true, type: 'LMError' });
    expect(err.message).not.toContain(SECRET);
    // Only the predictions already in flight when the first 401 came back (concurrency 8) reached the server.
    expect(double.requests.length).toBeLessThanOrEqual(8);
  });
});

it('a 503 fails evaluate retryably instead of scoring the outage as wrong answers', async () => {
  double.setHandler((_req, i) => (i % 2 === 0 ? 'negative' : { status: 503 }));
  const err = await failure(h.run('evaluate', [keywordSpec(double.baseURL), { versionId: baselineId, datasetId, split: 'holdout' }]));
  expect(err).toMatchObject({ nonRetryable: false });
  expect((await h.store.getProgram(baselineId))?.lineage.evalReportId).toBeNull();
});

it('bad input is non-retryable and names the field', async () => {
  const bad = { ...keywordSpec(double.baseURL), optimizer: { name: 'BootstrapFewShot' as const, config: { maxRounds: 0 }, seed: 0 } };
  const err = await failure(h.run('optimize', [bad, { datasetId, parentVersionId: baselineId, cycle: 1 }]));
  expect(err).toMatchObject({ nonRetryable: true, type: 'ValidationError' });
  expect(err.message).toMatch(/config\.maxRounds/);

  const spec = await failure(h.run('buildDataset', [{ ...keywordSpec(double.baseURL), name: 'Bad Name' }, { cycle: 1 }]));
  expect(spec).toMatchObject({ nonRetryable: true, type: 'TaskSpecError' });
  expect(spec.message).toMatch(/name: use lowercase/);
});

it('a missing dataset file, snapshot or version is non-retryable', async () => {
  const missingFile = keywordSpec(double.baseURL, {
    data: { train: { path: 'npm:sentiment/test/fixtures/nope.json', inputs: { text: 'text' }, outputs: { sentiment: 'class' } }, holdout: { examples: [{ inputs: { text: 'x' }, outputs: { sentiment: 'positive' } }] } },
  });
  expect(await failure(h.run('buildDataset', [missingFile, { cycle: 1 }]))).toMatchObject({ nonRetryable: true, type: 'DatasetError' });
  const spec = keywordSpec(double.baseURL);
  expect(await failure(h.run('evaluate', [spec, { versionId: baselineId, datasetId: 'nope', split: 'val' }]))).toMatchObject({ nonRetryable: true, type: 'NotFound' });
  expect(await failure(h.run('promote', [spec.name, { versionId: 'nope', expectedActive: null, actor: 'x', reason: 'y' }]))).toMatchObject({ nonRetryable: true, type: 'NotFound' });
});

it('comparing reports of different splits (no shared examples) is non-retryable', async () => {
  double.setHandler(() => 'positive');
  const spec = keywordSpec(double.baseURL);
  const evalOn = async (split: 'val' | 'holdout') => (await h.run('evaluate', [spec, { versionId: baselineId, datasetId, split }])).result.reportId;
  const err = await failure(h.run('compare', [spec, { baselineReportId: await evalOn('val'), candidateReportId: await evalOn('holdout') }]));
  expect(err).toMatchObject({ nonRetryable: true, type: 'IncomparableReports' });
  expect(err.message).toMatch(/share no example ids/);
});
