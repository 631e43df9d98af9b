/** Shared setup for activity tests: a keyword-world task spec pointed at the LM double, and a store. */
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Info } from '@temporalio/activity';
import { DefaultLogger, type Logger } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import type { KkachiActivities } from '../../src/contract';
import { parseTaskSpec, type TaskSpec, type TaskSpecInput } from '../../src/core/task-spec';
import { openSqliteStore, type Store } from '../../src/store';
import { KEYWORD_SIGNATURE, makeExamples, NOISE_TOLERANT_LATENCY } from '../support/keyword-world';

export const TASK = 'keywords';

export function keywordSpec(baseURL: string, overrides: Partial<TaskSpecInput> = {}): TaskSpec {
  const inline = (n: number, seed: number) => ({ examples: makeExamples(n, seed).map(({ id, inputs, outputs }) => ({ id, inputs, outputs })) });
  return parseTaskSpec({
    name: TASK,
    signature: KEYWORD_SIGNATURE,
    instructions: 'Classify the sentiment of the review.',
    metric: { name: 'label_accuracy' },
    lm: { provider: 'openai', model: 'double-model', baseURL, maxTokens: 32 },
    optimizer: { name: 'BootstrapFewShot', config: { maxBootstrappedDemos: 8, maxLabeledDemos: 16 }, seed: 3 },
    data: { train: inline(30, 1), holdout: inline(40, 2), valFraction: 0.25 },
    ...overrides,
    gate: { ...NOISE_TOLERANT_LATENCY, ...overrides.gate },
  });
}

type Activity = keyof KkachiActivities;
type Args<K extends Activity> = Parameters<KkachiActivities[K]>;
type Result<K extends Activity> = Awaited<ReturnType<KkachiActivities[K]>>;

export interface Attempt<K extends Activity> {
  result?: Result<K>;
  error?: unknown;
  /** Every heartbeat the attempt sent, in order. */
  heartbeats: unknown[];
}

export interface Harness {
  store: Store;
  /** Runs one activity attempt in a fresh mock activity context (info: e.g. a retry's heartbeatDetails). */
  attempt<K extends Activity>(name: K, args: Args<K>, info?: Partial<Info>): Promise<Attempt<K>>;
  /** Like attempt, but throws the activity's error. */
  run<K extends Activity>(name: K, args: Args<K>, info?: Partial<Info>): Promise<{ result: Result<K>; heartbeats: unknown[] }>;
}

/** heartbeatIntervalMs 0: a heartbeat on every progress report and no keep-alive timer; logger: where activities log (errors only by default). */
export function harness(cacheDir: string | null = null, heartbeatIntervalMs = 0, logger: Logger = new DefaultLogger('ERROR')): Harness {
  const store: Store = openSqliteStore(':memory:');
  const activities = createActivities({ store, cacheDir, heartbeatIntervalMs });
  const attempt: Harness['attempt'] = async (name, args, info) => {
    const env = new MockActivityEnvironment(info, { logger });
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => heartbeats.push(d));
    const fn = activities[name] as (...a: unknown[]) => Promise<never>;
    try {
      return { result: await env.run(fn, ...args), heartbeats };
    } catch (error) {
      return { error, heartbeats };
    }
  };
  return {
    store,
    attempt,
    async run(name, args, info) {
      const { result, error, heartbeats } = await attempt(name, args, info);
      if (error !== undefined) throw error;
      return { result: result as Result<typeof name>, heartbeats };
    },
  };
}
