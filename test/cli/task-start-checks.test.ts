/**
 * `kkachi task start` refuses a spec whose data or model cannot work, before it contacts Temporal, with
 * one line naming the file, the column or the count: the problems that used to show only at the first
 * cycle (or never: a mapping to a missing column dropped every row and the cycle ended `kept`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TaskSpecInput } from '../../src/core/task-spec';
import { startLMDouble, type LMDouble } from '../support/lm-double';
import { hasStackTrace, runCli } from './support';

let dir: string;
let double: LMDouble;
const NO_TEMPORAL = { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' };

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kkachi-start-'));
  const rows = Array.from({ length: 12 }, (_, i) => JSON.stringify({ review: `Review number ${i}`, label: i % 2 === 0 ? 'positive' : 'negative' }));
  writeFileSync(path.join(dir, 'reviews.jsonl'), rows.join('\n'));
  double = await startLMDouble(() => 'positive');
});
afterAll(async () => {
  await double?.close();
  rmSync(dir, { recursive: true, force: true });
});

const file = (overrides: Record<string, unknown> = {}) => ({ path: 'reviews.jsonl', inputs: { text: 'review' }, outputs: { sentiment: 'label' }, ...overrides });

function spec(overrides: Partial<TaskSpecInput> = {}): TaskSpecInput {
  return {
    name: 'checks',
    signature: 'text -> sentiment: positive|negative',
    metric: { name: 'label_accuracy' },
    lm: { provider: 'openai', model: 'm', baseURL: double.baseURL },
    optimizer: { name: 'LabeledFewShot' },
    data: { train: file({ limit: 6 }), holdout: file({ offset: 6 }) },
    ...overrides,
  };
}

async function start(s: unknown): Promise<{ code: number; stderr: string }> {
  const specFile = path.join(dir, 'spec.json');
  writeFileSync(specFile, JSON.stringify(s));
  return runCli(['task', 'start', '--spec', specFile], NO_TEMPORAL, dir);
}

it('a usable spec passes the checks and only then looks for Temporal', async () => {
  const run = await start(spec());
  expect(run.stderr).toContain('cannot reach Temporal');
}, 30_000);

it.each<[string, () => TaskSpecInput, RegExp]>([
  ['a missing data file', () => spec({ data: { train: file({ path: 'nope.jsonl' }), holdout: file({ offset: 6 }) } }), /data\.train: dataset file not found: nope\.jsonl/],
  [
    'a mapping to a missing column',
    () => spec({ data: { train: file({ limit: 6, inputs: { text: 'body' } }), holdout: file({ offset: 6 }) } }),
    /data\.train: reviews\.jsonl: column "body" \(mapped to inputs\.text\) is in none of its 12 rows/,
  ],
  ['an empty holdout', () => spec({ data: { train: file({ limit: 6 }), holdout: file({ offset: 50 }) } }), /data\.holdout: no examples in reviews\.jsonl \(offset 50/],
  ['a holdout identical to train', () => spec({ data: { train: file(), holdout: file() } }), /data\.holdout: shares 12 of its 12 examples with data\.train/],
  ['a model that is not installed', () => spec({ lm: { provider: 'local', model: path.join(dir, 'missing.gguf') } }), /lm\.model: Model file .*missing\.gguf does not exist/],
  ['an endpoint that does not answer', () => spec({ lm: { provider: 'openai', model: 'm', baseURL: 'http://127.0.0.1:1/v1' } }), /lm\.baseURL: http:\/\/127\.0\.0\.1:1\/v1 does not answer/],
  ['a baseURL without a scheme', () => spec({ lm: { provider: 'openai', model: 'm', baseURL: 'localhost:8080' } }), /lm\.baseURL: expected an http\(s\) URL/],
])('refuses %s at start, naming it', async (_what, make, expected) => {
  const run = await start(make());
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(expected);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(hasStackTrace(run.stderr)).toBe(false);
  expect(run.stderr).not.toContain('Temporal');
}, 30_000);
