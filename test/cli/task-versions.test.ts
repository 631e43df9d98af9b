/** `kkachi task status`'s per-version table: the seed's monitoring numbers, read from a real store. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderVersions } from '../../src/cli/commands/task-status';
import { createArtifact } from '../../src/core/artifact';
import type { EvalReport } from '../../src/core/evaluate';
import { createProgram } from '../../src/core/program';
import { openStore, versionMetrics } from '../../src/store';

it('shows predictions, corrections, feedback rate, live accuracy, latency and the held-out change per version', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kkachi-versions-'));
  const store = await openStore(join(dir, 'k.db'));
  try {
    const [a, b] = ['zero-shot', 'few-shot'].map((i) => createArtifact(createProgram('text -> sentiment: positive|negative', i), { parentId: null, datasetId: null, optimizer: null }));
    for (const [v, passRate] of [[a!, 0.6], [b!, 0.85]] as const) {
      await store.putProgram('t', v);
      await store.putReport(`r-${v.id}`, 't', v.id, { passRate } as EvalReport);
      await store.linkEvalReport(v.id, `r-${v.id}`);
    }
    await store.compareAndSetActive('t', { expected: null, next: a!.id, actor: 'kkachi', reason: 'baseline' });
    await store.compareAndSetActive('t', { expected: a!.id, next: b!.id, actor: 'gate', reason: 'promote' });
    await store.logPredictions(
      [10, 20, 30, 40].map((latencyMs, i) => ({ predictionId: `p${i}`, task: 't', versionId: b!.id, inputs: { text: 'x' }, outputs: { sentiment: 'positive' }, error: null, latencyMs, createdAt: 1_000 + i })),
    );
    await store.insertFeedback('t', [
      { predictionId: 'p0', input: { text: 'x' }, predicted: { sentiment: 'positive' }, correct: { sentiment: 'positive' }, versionId: b!.id, receivedAt: 2_000 },
      { predictionId: 'p1', input: { text: 'x' }, predicted: { sentiment: 'positive' }, correct: { sentiment: 'negative' }, versionId: b!.id, receivedAt: 2_001 },
    ]);
    const lines = renderVersions(await versionMetrics(store, 't')).split('\n');
    const row = (id: string) => lines.find((l) => l.startsWith(id.slice(0, 12))) ?? '';
    expect(row(a!.id)).toMatch(/served before\s+60\.0%\s+-\s+0\s+0\s+-\s+-\s+-$/);
    expect(row(b!.id)).toMatch(/active\s+85\.0%\s+\+25\.0 pts\s+4\s+1\s+25\.0%\s+50\.0%\s+25\/\d+\/\d+$/);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
