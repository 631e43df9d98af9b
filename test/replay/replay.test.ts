/**
 * Determinism guard: the committed histories (recorded by scripts/record-histories.sh) must replay
 * cleanly against the current workflow code. A change that would break running workflows fails here
 * with a nondeterminism error; an intended change means patching the workflow or re-recording.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WORKFLOW_TRACING_MODULE } from '../../src/temporal/tracing';
import { bundleWorkflows } from '../support/temporal';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const files = readdirSync(__dirname).filter((f) => f.endsWith('.json')).sort();
/** Each file: `{ workflowId, history }`, the history in Temporal's JSON form. */
const histories = files.map((file) => {
  const { workflowId, history } = JSON.parse(readFileSync(join(__dirname, file), 'utf8')) as { workflowId: string; history: unknown };
  return { file, workflowId, history: historyFromJSON(history) };
});

let bundle: WorkflowBundleWithSourceMap;
let traced: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  [bundle, traced] = await Promise.all([bundleWorkflows(), bundleWorkflows({ interceptorModules: [WORKFLOW_TRACING_MODULE] })]);
}, 120_000);

it('has a history of every workflow type, including continue-as-new and a rollback', () => {
  const types = new Set(histories.map(({ history }) => history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name));
  expect([...types].sort()).toEqual(['learner', 'optimizationCycle', 'optimizationPipeline', 'rollout']);
  const lastEvents = histories.map(({ history }) => history.events?.at(-1));
  expect(lastEvents.some((e) => e?.workflowExecutionContinuedAsNewEventAttributes)).toBe(true);
  expect(files).toContain('rollout-rolled-back.json');
});

it.each(files)('replays %s without nondeterminism', async (file) => {
  const { workflowId, history } = histories.find((h) => h.file === file) as (typeof histories)[number];
  await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId)).resolves.toBeUndefined();
});

// Histories recorded without tracing replay with its workflow interceptors: turning tracing on for the
// workers of running workflows is safe.
it.each(files)('replays %s with the tracing interceptors', async (file) => {
  const { workflowId, history } = histories.find((h) => h.file === file) as (typeof histories)[number];
  await expect(Worker.runReplayHistory({ workflowBundle: traced }, history, workflowId)).resolves.toBeUndefined();
});
