/**
 * `kkachi demo --example qa --quick --json`: extractive QA through the production rollout on the real
 * embedded model and the vendored SQuAD rows — offline gate, live canary, monitoring window, and the
 * rollout rolling a version back by itself when the users' live feedback turns against it.
 */
import type { LearnerDemoOutcome } from '../../src/demo/learner-run';
import { portAnswers } from '../../src/demo/temporal-server';
import { openStore } from '../../src/store';
import { outcomeOf, runDemoJson, type DemoRun } from './demo-support';
import { hasStackTrace } from './support';

let demo: DemoRun<LearnerDemoOutcome>;
let outcome: LearnerDemoOutcome;
beforeAll(async () => {
  demo = await runDemoJson<LearnerDemoOutcome>(['--example', 'qa', '--quick'], 840_000);
  if (demo.outcome) outcome = demo.outcome;
}, 900_000);
afterAll(() => demo?.cleanUp());

describe('kkachi demo --example qa --quick --json (real model, real dev server)', () => {
  it('exits 0 with its bookkeeping in order: every record the users sent counted once by the learner', () => {
    outcomeOf(demo);
    expect(hasStackTrace(demo.run.stderr)).toBe(false);
    expect(outcome.problems).toEqual([]);
    expect(outcome.learner.counters).toMatchObject({ received: outcome.feedback.sent, corrections: outcome.feedback.corrections, duplicates: 0, rejected: 0 });
  });

  it('gates on mean token F1 and reports token F1 and exact match for every evaluated version', () => {
    const gated = outcome.learner.cycles.filter((c) => c.gate);
    expect(gated.length).toBeGreaterThanOrEqual(1);
    for (const cycle of gated) expect(cycle.gate?.measure?.title).toBe('mean token F1');
    expect(outcome.focusLabel).toBeNull();
    for (const row of outcome.rows.filter((r) => r.heldOut)) {
      expect(row.heldOut?.answers?.meanF1).toBeGreaterThanOrEqual(0);
      expect(row.heldOut?.answers?.exactMatch).toBeLessThanOrEqual(row.heldOut?.answers?.meanF1 ?? -1);
    }
  });

  it('runs the promoted candidate through the live canary, then rolls it back in the monitoring window on the users’ feedback', () => {
    const rolled = outcome.learner.cycles.find((c) => c.decision === 'rolled-back');
    if (!rolled) throw new Error(`no cycle was rolled back: ${JSON.stringify(outcome.learner.cycles.map((c) => [c.decision, c.reason]))}`);
    expect(rolled.gate?.action).toBe('promote');
    expect(rolled.reason).toMatch(/^rolled back: live accuracy .* fell more than 10\.0% below the gate's/);
    expect(demo.run.stderr).toMatch(new RegExp(`cycle ${rolled.cycle} canary`));
    expect(demo.run.stderr).toMatch(new RegExp(`cycle ${rolled.cycle} monitoring`));
    expect(demo.run.stderr).toContain('simulated regression');
    // The candidate answered users (canary, then at 100%), and the version before it is active again.
    expect(outcome.swaps).toContain(rolled.candidateVersion);
    expect(outcome.learner.activeVersion).not.toBe(rolled.candidateVersion);
    const row = outcome.rows.find((r) => r.versionId === rolled.candidateVersion);
    expect(row?.decision).toBe('rolled-back');
    expect(row?.served).toBeGreaterThan(0);
  });

  it('the registry shows the rollback, and the version restored is the one the learner serves', async () => {
    const store = await openStore(outcome.storePath);
    try {
      const rolled = outcome.learner.cycles.find((c) => c.decision === 'rolled-back');
      const versions = await store.versions(outcome.task);
      expect(versions.find((v) => v.versionId === rolled?.candidateVersion)?.rolledBack).not.toBeNull();
      expect((await store.routing(outcome.task)).active).toBe(outcome.learner.activeVersion);
    } finally {
      await store.close();
    }
  });

  it('stops the dev server it started', async () => {
    expect(outcome.temporal).toMatchObject({ startedByDemo: true, kept: false });
    expect(await portAnswers('127.0.0.1', demo.port)).toBe(false);
  });
});
