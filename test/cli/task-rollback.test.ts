/**
 * `kkachi task rollback` during a live canary, against a real Temporal dev server and worker: the
 * learner ends the canary, and the command says so — which candidate left it and which version now
 * takes all traffic — rather than the message of a rollback of the active version.
 */
import { shortId } from '../../src/ui/table';
import { canaryRunning } from '../workflows/canary-support';
import { setUpRunningHarness, type Harness } from '../workflows/harness';
import { runCli } from './support';

let h: Harness;
beforeAll(async () => {
  h = await setUpRunningHarness();
}, 60_000);
afterAll(() => h?.stop());

it('says the canary was rolled back and all traffic is on the active version', async () => {
  const { handle, baseline, candidate } = await canaryRunning(h, 'cli-canary');
  try {
    const env = { ...process.env, TEMPORAL_ADDRESS: h.env.address, TEMPORAL_NAMESPACE: h.env.namespace };
    const run = await runCli(['task', 'rollback', '--task', 'cli-canary', '--reason', 'users complain about the canary'], env);
    expect(run).toEqual({ code: 0, stdout: `task "cli-canary": canary ${shortId(candidate)} rolled back; all traffic on active ${shortId(baseline)}\n`, stderr: '' });
    expect(await h.store.routing('cli-canary')).toEqual({ active: baseline, canary: null });
  } finally {
    await handle.terminate('test done');
  }
}, 120_000);
