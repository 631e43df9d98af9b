/** How a monitoring window without a regression ends, and the spec's `maxWindow` validation (pure). */
import { formatDuration, parseTaskSpec } from '../../src/core/task-spec';
import { windowVerdict } from '../../src/workflows/rollout';
import { keywordTask } from './harness';

const spec = (monitoring: object) => parseTaskSpec(keywordTask('verdict', 'http://127.0.0.1:1/v1', { monitoring: monitoring as never }));
const live = (n: number, correct: number) => ({ versionId: 'v', n, correct, accuracy: n === 0 ? null : correct / n });

it('reports live accuracy when the window saw enough feedback', () => {
  expect(windowVerdict(spec({ window: '1h', minSamples: 10 }), live(12, 9))).toBe('monitoring window passed (live accuracy 75.0% on 12 records)');
});

it('says "promoted without live evidence" when too few records arrived, naming the window that ran out', () => {
  expect(windowVerdict(spec({ window: '1h', minSamples: 10 }), live(0, 0))).toBe(
    'promoted without live evidence: 0 of the 10 feedback records needed arrived in 1h (monitoring.window)',
  );
  expect(windowVerdict(spec({ window: '10m', maxWindow: '2h', minSamples: 10 }), live(3, 3))).toBe(
    'promoted without live evidence: 3 of the 10 feedback records needed arrived in 2h (monitoring.maxWindow)',
  );
});

it('refuses a maxWindow shorter than the window, naming the field', () => {
  expect(() => spec({ window: '1h', maxWindow: '10m' })).toThrow('monitoring.maxWindow: must be at least monitoring.window (1h)');
});

it('formats durations in the largest exact unit', () => {
  expect([90_000, 3_600_000, 1_500, 86_400_000, 600_000].map(formatDuration)).toEqual(['90s', '1h', '1500ms', '1d', '10m']);
});
