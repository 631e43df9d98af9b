/**
 * `KKACHI_LM=openai kkachi demo --quick --json`: the main job on an OpenAI-compatible endpoint instead of
 * the embedded model (here the loopback HTTP double), as the README promises. Every LM call of the run —
 * optimizing, evaluating, serving the simulated users — must reach that endpoint.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DemoOutcome } from '../../src/demo/run';
import { startLMDouble, type DoubleRequest, type LMDouble } from '../support/lm-double';
import { freePort } from '../support/temporal';
import { ensureBuilt, spawnCli, type CliRun } from './support';

/** A crude reviewer: negative when the sentence under review has a negative word, else positive. */
const NEGATIVE = /\b(not|no|bad|poor|worst|broke|waste|disappoint\w*|terrible|horrible|junk|useless)\b/i;
function review(req: DoubleRequest): string {
  const query = [...req.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  return NEGATIVE.test(query) ? 'negative' : 'positive';
}

describe('kkachi demo on an OpenAI-compatible endpoint (KKACHI_LM=openai)', () => {
  let double: LMDouble;
  let home: string;
  let run: CliRun;

  beforeAll(async () => {
    ensureBuilt();
    double = await startLMDouble(review);
    home = mkdtempSync(path.join(os.tmpdir(), 'kkachi-demo-openai-'));
    const env = {
      ...process.env,
      KKACHI_HOME: home,
      KKACHI_LM: 'openai',
      OPENAI_MODEL: 'double-model',
      OPENAI_BASE_URL: double.baseURL,
      OPENAI_API_KEY: 'sk-test-not-a-secret',
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
      KKACHI_TEMPORAL_UI_PORT: String(await freePort()),
    };
    run = await spawnCli(['demo', '--quick', '--json'], env, 300_000);
  }, 320_000);

  afterAll(async () => {
    await double.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('runs the seven stages with every LM call on the endpoint and no model installed', () => {
    if (run.code !== 0) throw new Error(`demo exited ${run.code}:\n${run.stderr.slice(-3000)}`);
    const outcome = JSON.parse(run.stdout) as DemoOutcome;
    expect(outcome.model).toBe('double-model');
    expect(outcome.stages.map((s) => s.stage)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(outcome.problems).toEqual([]);
    const { optimizationLmCalls, evaluationLmCalls, servingLmCalls } = outcome.totals;
    expect(double.requests.length).toBe(optimizationLmCalls + evaluationLmCalls + servingLmCalls);
    expect(double.requests.every((r) => r.model === 'double-model' && r.headers.authorization === 'Bearer sk-test-not-a-secret')).toBe(true);
    expect(run.stderr).not.toMatch(/^model: /m);
  });
});
