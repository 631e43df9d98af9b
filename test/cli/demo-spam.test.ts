/**
 * `kkachi demo --example spam --quick --json`: e-mail spam through the continuous learner, on the real
 * embedded model and real SpamAssassin e-mails, served through `kkachi serve`. Slow (the real model
 * optimizes and evaluates), so there is one run and every assertion reads its output.
 */
import { renderLearnerOutcome } from '../../src/cli/commands/demo-learner';
import type { LearnerDemoOutcome } from '../../src/demo/learner-run';
import { portAnswers } from '../../src/demo/temporal-server';
import { openStore } from '../../src/store';
import { outcomeOf, runDemoJson, type DemoRun } from './demo-support';
import { hasStackTrace } from './support';

let demo: DemoRun<LearnerDemoOutcome>;
let outcome: LearnerDemoOutcome;
beforeAll(async () => {
  demo = await runDemoJson<LearnerDemoOutcome>(['--example', 'spam', '--quick'], 840_000);
  if (demo.outcome) outcome = demo.outcome;
}, 900_000);
afterAll(() => demo?.cleanUp());

describe('kkachi demo --example spam --quick --json (real model, real dev server)', () => {
  it('exits 0, its bookkeeping adds up, and it tells each cycle with the trigger that started it', () => {
    outcomeOf(demo);
    expect(hasStackTrace(demo.run.stderr)).toBe(false);
    expect(outcome.problems).toEqual([]);
    const cycles = outcome.learner.cycles;
    expect(cycles.length).toBeGreaterThanOrEqual(1);
    // Only a cycle the users' last records started may still run when the story ends (it is cancelled then).
    for (const cycle of cycles.slice(0, -1)) expect(cycle.decision).not.toMatch(/running|failed/);
    for (const cycle of cycles.filter((c) => c.decision !== 'running')) {
      expect(['corrections', 'drift']).toContain(cycle.trigger);
      expect(cycle.decision).not.toBe('failed');
      expect(demo.run.stderr).toContain(`cycle ${cycle.cycle}: started by the ${cycle.trigger === 'drift' ? 'accuracy-drop (drift)' : 'corrections'} trigger`);
      expect(demo.run.stderr).toContain(`cycle ${cycle.cycle}: ${cycle.decision} — ${cycle.reason}`);
    }
  });

  it('both triggers started a cycle: the accuracy floor on the quiet start, then the corrections the users sent while it ran', () => {
    const finished = outcome.learner.cycles.filter((c) => c.decision !== 'running');
    expect(finished[0]?.trigger).toBe('drift');
    expect(finished.map((c) => c.trigger)).toContain('corrections');
    expect(demo.run.stderr).toContain('started by the accuracy-drop (drift) trigger');
    expect(demo.run.stderr).toContain('started by the corrections trigger');
  });

  it('the results table has a row per version with the columns a spam filter needs, then its confusion matrices', () => {
    const text = renderLearnerOutcome(outcome);
    const header = text.split('\n').find((line) => line.startsWith('version'));
    for (const column of ['trigger', 'decision', 'held-out acc', 'macro-F1', 'spam P / R', 'live acc', 'live spam P / R', 'served', 'feedback rate']) {
      expect(header).toContain(column);
    }
    for (const cycle of outcome.learner.cycles.filter((c) => c.candidateVersion)) {
      expect(text).toMatch(new RegExp(`^cycle ${cycle.cycle}\\b.*${cycle.candidateVersion?.slice(0, 12)}\\s+${cycle.trigger}\\s`, 'm'));
    }
    expect(text).toContain('gold \\ predicted');
  });

  it('the learner counted every record the users sent through kkachi serve, once', () => {
    const { feedback, learner } = outcome;
    expect(feedback.sent).toBeGreaterThan(0);
    expect(learner.counters).toMatchObject({ received: feedback.sent, corrections: feedback.corrections, duplicates: 0, rejected: 0 });
    const served = outcome.rows.reduce((n, r) => n + r.served, 0);
    expect(served).toBe(feedback.sent + feedback.failed);
    for (const [versionId, tally] of Object.entries(feedback.byVersion)) {
      const row = outcome.rows.find((r) => r.versionId === versionId);
      expect(row?.feedbackRate).toBeCloseTo(tally.corrections / (row?.served ?? 0), 10);
      // Live per-label numbers are over exactly the answers the users judged.
      expect(row?.live?.classification?.n).toBe(tally.sent);
    }
  });

  it('gates on macro-F1 with a floor on spam recall, and shows spam precision/recall and a confusion matrix per evaluated version', () => {
    const gated = outcome.learner.cycles.filter((c) => c.gate);
    for (const cycle of gated) {
      expect(cycle.gate?.measure?.title).toBe('macro-F1');
      expect(cycle.gate?.floor).toMatchObject({ label: 'spam', min: 0.5 });
      if ((cycle.gate?.floor?.candidate ?? 1) < 0.5) expect(cycle.decision).not.toBe('promoted');
    }
    expect(outcome.focusLabel).toBe('spam');
    const evaluated = outcome.rows.filter((r) => r.heldOut);
    expect(evaluated.length).toBeGreaterThanOrEqual(gated.length > 0 ? 2 : 0);
    for (const row of evaluated) {
      const summary = row.heldOut?.classification;
      expect(summary?.confusion.labels).toEqual(['spam', 'ham']);
      expect(summary?.confusion.counts.flat().reduce((a, b) => a + b, 0)).toBe(outcome.data.holdout);
      expect(summary?.accuracy).toBeCloseTo(row.heldOutAccuracy ?? -1, 12);
      expect(summary?.perLabel.map((l) => l.label)).toEqual(['spam', 'ham']);
    }
    expect(demo.run.stderr).not.toContain('kkachi:');
  });

  it('a promotion hot-swaps serving: the users are answered by the promoted version without a restart', () => {
    const promoted = outcome.learner.cycles.filter((c) => c.decision === 'promoted' || c.decision === 'rolled-back');
    for (const cycle of promoted) expect(outcome.swaps).toContain(cycle.candidateVersion);
    expect(outcome.swaps[0]).toBe(outcome.rows[0]?.versionId);
  });

  it('every version in the table is in the store, and the registry agrees with the learner', async () => {
    const store = await openStore(outcome.storePath);
    try {
      for (const row of outcome.rows) expect(await store.hasVersion(outcome.task, row.versionId)).toBe(true);
      expect((await store.routing(outcome.task)).active).toBe(outcome.learner.activeVersion);
      expect(outcome.rows.filter((r) => r.active).map((r) => r.versionId)).toEqual([outcome.learner.activeVersion]);
    } finally {
      await store.close();
    }
  });

  it('stops the dev server it started', async () => {
    expect(outcome.temporal).toMatchObject({ startedByDemo: true, kept: false });
    expect(await portAnswers('127.0.0.1', demo.port)).toBe(false);
  });
});
