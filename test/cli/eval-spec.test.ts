/**
 * `kkachi eval --spec FILE --split holdout` scores exactly the rows a task spec's data reference
 * names (path, mapping, labels, shuffle/offset/limit), with the spec's metric and LM, and prints the
 * numbers that fit the task: per-label scores and a confusion matrix for labels, F1 and EM for QA.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadDataset } from '../../src/core/datasets';
import { parseSignature } from '../../src/core/signature';
import { parseTaskSpec, type TaskSpecInput } from '../../src/core/task-spec';
import { startLMDouble, type LMDouble } from '../support/lm-double';
import { ROOT, runCli } from './support';

let dir: string;
let double: LMDouble;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kkachi-eval-spec-'));
  double = await startLMDouble();
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await double.close();
});

const env = { ...process.env, OPENAI_API_KEY: 'test-key' };
const writeSpec = (name: string, spec: TaskSpecInput): string => {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(spec));
  return file;
};

it('scores the holdout rows of a file data reference with the spec metric, and prints per-label scores and the confusion matrix', async () => {
  const holdout = { path: 'npm:sentiment/test/fixtures/amazon.json', inputs: { text: 'text' }, outputs: { sentiment: 'class' }, labels: { '0': 'negative', '1': 'positive' }, shuffleSeed: 3, offset: 10, limit: 12 };
  const spec: TaskSpecInput = {
    name: 'reviews',
    signature: 'text -> sentiment: positive|negative',
    metric: { name: 'label_accuracy' },
    lm: { provider: 'openai', model: 'double', baseURL: double.baseURL, maxTokens: 16 },
    optimizer: { name: 'LabeledFewShot' },
    data: { train: { ...holdout, offset: 0, limit: 10 }, holdout },
  };
  const file = writeSpec('reviews.json', spec);
  // Always "positive": recall 1 for positive, 0 for negative.
  double.setHandler(() => 'positive');
  const requestsBefore = double.requests.length;

  const json = await runCli(['eval', '--spec', file, '--split', 'holdout', '--json'], env);
  expect(json.stderr).not.toContain('kkachi:');
  expect(json.code).toBe(0);
  const report = JSON.parse(json.stdout);
  const expected = await loadDataset(parseTaskSpec(spec).data.holdout, parseSignature(spec.signature), { baseDir: ROOT });
  expect(report.rows.map((r: { id: string }) => r.id)).toEqual(expected.map((e) => e.id));
  expect(double.requests.length - requestsBefore).toBe(12);
  const positives = expected.filter((e) => e.outputs.sentiment === 'positive').length;
  expect(report).toMatchObject({ n: 12, metric: 'label_accuracy', program: 'reviews (zero-shot)', field: 'sentiment' });
  expect(report.classification.confusion).toEqual({ labels: ['positive', 'negative'], columns: ['positive', 'negative'], counts: [[positives, 0], [12 - positives, 0]] });
  expect(report.classification.balancedAccuracy).toBe(0.5);

  const text = await runCli(['eval', '--spec', file], env);
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(/label\s+precision\s+recall\s+F1\s+support/);
  expect(text.stdout).toMatch(/negative\s+0\.000\s+0\.000\s+0\.000\s+\d+/);
  expect(text.stdout).toMatch(/macro-F1 0\.\d{3}, balanced accuracy 50\.0%/);
  expect(text.stdout).toMatch(/gold \\ predicted\s+positive\s+negative/);
});

it('reports mean token F1 and exact match for a QA spec, with multi-answer gold lists', async () => {
  const spec: TaskSpecInput = {
    name: 'qa',
    signature: 'context, question -> answer',
    metric: { name: 'token_f1' },
    lm: { provider: 'openai', model: 'double', baseURL: double.baseURL },
    optimizer: { name: 'LabeledFewShot' },
    data: {
      train: { examples: [{ inputs: { context: 'c', question: 'q' }, outputs: { answer: 'a' } }] },
      holdout: {
        examples: [
          { id: 'q1', inputs: { context: 'The Caspian Sea is large.', question: 'Which sea?' }, outputs: { answer: ['Caspian Sea', 'the Caspian Sea'] } },
          { id: 'q2', inputs: { context: 'Paris is in France.', question: 'Which city?' }, outputs: { answer: ['Paris'] } },
        ],
      },
    },
  };
  // Right on q1 (an alternative), half right on q2.
  double.setHandler((req) => (JSON.stringify(req.messages).includes('Which sea?') ? '[[ ## answer ## ]]\nthe Caspian Sea\n\n[[ ## completed ## ]]' : '[[ ## answer ## ]]\nParis France\n\n[[ ## completed ## ]]'));
  const run = await runCli(['eval', '--spec', writeSpec('qa.json', spec), '--json'], env);
  expect(run.code).toBe(0);
  const report = JSON.parse(run.stdout);
  expect(report.answers.exactMatch).toBe(0.5);
  expect(report.answers.meanF1).toBeCloseTo((1 + 2 / 3) / 2, 12);
  const text = await runCli(['eval', '--spec', writeSpec('qa.json', spec)], env);
  expect(text.stdout).toContain('mean token F1 0.833, exact match 50.0%');
});

it('says what is missing or wrong, naming the flag', async () => {
  expect((await runCli(['eval', '--program', 'p.json'], env)).stderr).toContain('give either --data FILE.jsonl or --spec FILE');
  expect((await runCli(['eval', '--data', 'd.jsonl'], env)).stderr).toContain('--program is required with --data');
  expect((await runCli(['eval', '--spec', path.join(dir, 'reviews.json'), '--split', 'val'], env)).stderr).toContain('--split must be one of holdout, train');
  expect((await runCli(['eval', '--spec', path.join(dir, 'missing.json')], env)).stderr).toMatch(/cannot read --spec .*missing\.json: ENOENT/);
});
