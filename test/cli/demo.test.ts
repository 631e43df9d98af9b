/**
 * The main job end to end: `kkachi demo --quick --json` as a child process, against a Temporal dev
 * server the demo starts itself, on the real embedded model and the real sentences. Slow (about a
 * minute and a half on 2 cores), so there is exactly one run and every assertion reads its output.
 */
import type { DemoOutcome } from '../../src/demo/run';
import { portAnswers } from '../../src/demo/temporal-server';
import { openStore } from '../../src/store';
import { runDemoJson, type DemoRun } from './demo-support';
import { hasStackTrace } from './support';

describe('kkachi demo --quick --json (real model, real dev server)', () => {
  let demo: DemoRun<DemoOutcome>;
  let run: DemoRun<DemoOutcome>['run'];
  let port: number;
  let outcome: DemoOutcome;

  beforeAll(async () => {
    demo = await runDemoJson<DemoOutcome>(['--quick'], 540_000);
    ({ run, port } = demo);
    if (demo.outcome) outcome = demo.outcome;
  }, 600_000);

  afterAll(() => demo?.cleanUp());

  it('exits 0 after telling all seven stages, in order', () => {
    if (run.code !== 0) throw new Error(`demo exited ${run.code}:\n${run.stderr.slice(-3000)}`);
    const headers = [...run.stderr.matchAll(/^\[(\d)\/7\] [a-z ]+$/gm)].map((m) => Number(m[1]));
    expect(headers).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(outcome.stages.map((s) => s.stage)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(hasStackTrace(run.stderr)).toBe(false);
    expect(outcome.problems).toEqual([]);
  });

  it('served the users through kkachi serve: every version has its predictions logged, and its feedback rate is corrections per prediction', () => {
    const served = new Map(outcome.rows.map((r) => [r.versionId, r]));
    const total = [...served.values()].reduce((n, r) => n + r.served, 0);
    expect(total).toBe(outcome.feedback.sent + outcome.feedback.failed);
    for (const [versionId, tally] of Object.entries(outcome.feedback.byVersion)) {
      const row = served.get(versionId);
      expect(row?.served).toBeGreaterThanOrEqual(tally.sent);
      expect(row?.feedbackRate).toBeCloseTo(tally.corrections / (row?.served ?? 0), 10);
    }
  });

  it('feedback counts add up: corrections + confirmations = sent = what the pipeline counted', () => {
    const { feedback, pipeline } = outcome;
    expect(feedback.sent).toBeGreaterThan(0);
    expect(feedback.corrections + feedback.confirmations).toBe(feedback.sent);
    expect(pipeline.counters.received).toBe(feedback.sent);
    expect(pipeline.counters.corrections).toBe(feedback.corrections);
    // Both feedback stages waited for their corrections (the pool is large enough not to run dry).
    expect(feedback.corrections).toBeGreaterThanOrEqual(2 * outcome.feedbackPerStage);
    const perVersion = Object.values(feedback.byVersion);
    expect(perVersion.reduce((n, v) => n + v.sent, 0)).toBe(feedback.sent);
  });

  it('reports two optimization cycles and a held-out row per version, with numbers in range', () => {
    expect(outcome.pipeline.cycles).toHaveLength(2);
    expect(outcome.rows.length).toBeGreaterThanOrEqual(2);
    expect(outcome.rows[0]?.label).toBe('baseline');
    for (const row of outcome.rows) {
      expect(row.heldOutAccuracy).toBeGreaterThanOrEqual(0);
      expect(row.heldOutAccuracy).toBeLessThanOrEqual(1);
      expect(row.lmCalls).toBeLessThanOrEqual(outcome.data.holdout);
      expect(row.decision).not.toBe('');
    }
    expect(outcome.rows.filter((r) => r.active).map((r) => r.versionId)).toEqual([outcome.gateChoice]);
  });

  it('shows the version in service per label: a confusion matrix over every held-out sentence that agrees with its accuracy', () => {
    const summary = outcome.activeSummary?.classification;
    if (!summary) throw new Error('the outcome has no classification summary of the active version');
    const counts = summary.confusion.counts.flat();
    expect(counts.reduce((a, b) => a + b, 0)).toBe(outcome.data.holdout);
    expect(summary.confusion.labels).toEqual(['positive', 'negative']);
    const active = outcome.rows.find((r) => r.active);
    expect(summary.accuracy).toBeCloseTo(active?.heldOutAccuracy ?? -1, 12);
    expect(summary.perLabel.map((l) => l.support).reduce((a, b) => a + b, 0)).toBe(outcome.data.holdout);
    expect(run.stderr).not.toContain('kkachi:');
  });

  it('every version in the table exists in the store, and the active one is the gate’s choice', async () => {
    const store = await openStore(outcome.storePath);
    try {
      for (const row of outcome.rows) {
        expect(await store.hasVersion(outcome.task, row.versionId)).toBe(true);
        expect((await store.getProgram(row.versionId))?.id).toBe(row.versionId);
      }
      expect((await store.getPointers(outcome.task)).active).toBe(outcome.gateChoice);
      const moves = (await store.registryHistory(outcome.task)).filter((h) => h.pointer === 'active');
      expect(moves[moves.length - 1]?.toVersion).toBe(outcome.gateChoice);
      // Baseline first, then the stage-3 deployment of the first cycle's program.
      expect(moves[0]?.toVersion).toBe(outcome.rows[0]?.versionId);
      expect(moves[1]?.toVersion).toBe(outcome.pipeline.cycles[0]?.candidateVersion);
    } finally {
      await store.close();
    }
  });

  it('stops the dev server it started', async () => {
    expect(outcome.temporal).toMatchObject({ startedByDemo: true, kept: false });
    expect(await portAnswers('127.0.0.1', port)).toBe(false);
  });
});
