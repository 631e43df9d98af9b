import { loadDataset } from '../../src/core/datasets';
import { parseSignature } from '../../src/core/signature';
import { demoSplits, loadFeedbackPool } from '../../src/demo/data';
import { consistencyProblems, finalActiveVersion, resultRows } from '../../src/demo/results';
import type { SimulatorCounts } from '../../src/demo/simulator';
import type { PipelineResult } from '../../src/contract';

const signature = parseSignature('text -> sentiment: positive|negative');

describe('demo data splits (UCI sentences from npm sentiment@5.0.2)', () => {
  const sizes = { train: 30, holdout: 60, feedback: 250 };

  it('are disjoint, of the requested sizes, labelled, without the placeholder row, and the same on every run', async () => {
    const splits = demoSplits(sizes, 7);
    const [train, holdout, feedback] = await Promise.all([splits.train, splits.holdout, splits.feedback].map((ref) => loadDataset(ref, signature)));
    expect([train?.length, holdout?.length, feedback?.length]).toEqual([30, 60, 250]);
    const ids = [...train!, ...holdout!, ...feedback!].map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const e of [...train!, ...holdout!, ...feedback!]) {
      expect(['positive', 'negative']).toContain(e.outputs.sentiment);
      expect(String(e.inputs.text).trim()).not.toBe('');
    }
    const labels = holdout!.map((e) => e.outputs.sentiment);
    expect(labels.filter((l) => l === 'positive').length).toBeGreaterThan(15); // both classes well represented
    expect(labels.filter((l) => l === 'negative').length).toBeGreaterThan(15);

    const again = await loadDataset(demoSplits(sizes, 7).holdout, signature);
    expect(again.map((e) => e.id)).toEqual(holdout!.map((e) => e.id));
    const otherSeed = await loadDataset(demoSplits(sizes, 8).holdout, signature);
    expect(otherSeed.map((e) => e.id)).not.toEqual(holdout!.map((e) => e.id));
  });

  it('the feedback pool never repeats a sentence that is in train or held-out', async () => {
    const splits = demoSplits({ train: 300, holdout: 300, feedback: 380 }, 1);
    const pool = await loadFeedbackPool(splits, signature);
    const known = new Set([...(await loadDataset(splits.train, signature)), ...(await loadDataset(splits.holdout, signature))].map((e) => e.inputs.text));
    expect(pool.every((e) => !known.has(e.inputs.text))).toBe(true);
    // amazon.json repeats a few sentences; with most of the file in use some duplicates must be dropped.
    expect(pool.length).toBeLessThan(380);
    expect(pool.length).toBeGreaterThan(360);
  });
});

function pipelineResult(rolloutDecision: 'promoted' | 'kept' | null): PipelineResult {
  const gate = {
    action: rolloutDecision === 'promoted' ? 'promote' : 'keep',
    reason: 'gate reason',
    baseline: { versionId: 'v1', accuracy: 0.8, p50Ms: 100 },
    candidate: { versionId: 'v2', accuracy: 0.9, p50Ms: 101 },
    accuracyDelta: 0.1,
    ci95: [0.02, 0.18],
    pValue: 0.01,
    p50DeltaMs: 1,
  } as const;
  const cycle = (n: number, parent: string, candidate: string) => ({
    cycle: n, datasetId: `d${n}`, train: 20, val: 9, corrections: 4 * n, parentVersion: parent, candidateVersion: candidate,
    optimizer: 'BootstrapFewShot', demos: 4, valAccuracy: 0.9, lmCalls: 40,
  });
  return {
    stage: 7,
    stageName: 'done',
    cycles: [cycle(1, 'v0', 'v1'), cycle(2, 'v1', 'v2')],
    final: [
      { label: 'baseline', versionId: 'v0', accuracy: 0.7, p50Ms: 90, lmCalls: 60 },
      { label: 'cycle 1', versionId: 'v1', accuracy: 0.8, p50Ms: 100, lmCalls: 60 },
      { label: 'cycle 2', versionId: 'v2', accuracy: 0.9, p50Ms: 101, lmCalls: 60 },
    ],
    counters: { received: 10, corrections: 4, duplicates: 0, rejected: 0 },
    pendingCorrections: 0,
    rollout:
      rolloutDecision === null
        ? null
        : { decision: rolloutDecision, reason: `${rolloutDecision} because`, gate: { ...gate, ci95: [0.02, 0.18] }, activeVersion: rolloutDecision === 'promoted' ? 'v2' : 'v1', live: null },
  };
}

describe('demo results table', () => {
  it('gives every version a decision from the run, and marks the one the gate left active', () => {
    const rows = resultRows(pipelineResult('promoted'));
    expect(rows.map((r) => [r.label, r.decision, r.active])).toEqual([
      ['baseline', 'retired', false],
      ['cycle 1', 'replaced', false],
      ['cycle 2', 'promoted', true],
    ]);
    expect(rows[2]?.reason).toBe('promoted because');
    expect(rows.map((r) => r.heldOutAccuracy)).toEqual([0.7, 0.8, 0.9]);

    const kept = pipelineResult('kept');
    expect(finalActiveVersion(kept)).toBe('v1');
    expect(resultRows(kept).map((r) => [r.decision, r.active])).toEqual([
      ['retired', false],
      ['in service', true],
      ['not promoted', false],
    ]);
    expect(finalActiveVersion(pipelineResult(null))).toBe('v1');
  });

  it('flags feedback counts that do not add up', () => {
    const counts = (sent: number, corrections: number, confirmations: number): SimulatorCounts => ({ sent, corrections, confirmations, failed: 0, byVersion: {} });
    expect(consistencyProblems(pipelineResult('kept'), counts(10, 4, 6))).toEqual([]);
    expect(consistencyProblems(pipelineResult('kept'), counts(11, 4, 7))).toEqual(['pipeline received 10 feedback records, the simulator sent 11']);
    expect(consistencyProblems(pipelineResult('kept'), counts(10, 5, 5))).toEqual(['pipeline counted 4 corrections, the simulator sent 5']);
    expect(consistencyProblems(pipelineResult('kept'), counts(10, 4, 5))).toHaveLength(1);
  });
});
