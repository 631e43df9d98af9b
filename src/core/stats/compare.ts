import { rowsLatency, type EvalReport, type EvalRow } from '../evaluate';
import { pairedBootstrapCI } from './bootstrap';
import { labelRecall } from './classification';
import { mcnemarExact } from './mcnemar';
import { labelPairs, type FloorCheck, type Measure, type MeasureComparison, type MeasureRow } from './measures';
import { pairedBootstrapDeltaCI, pairedDelta, pairedPermutationTest, type Pair } from './paired';

export interface ArmSummary {
  accuracy: number;
  p50Ms: number;
  p95Ms: number;
}

/** A paired A/B comparison on the examples both reports scored; `decide` reads it. */
export interface Comparison {
  n: number;
  baseline: ArmSummary;
  candidate: ArmSummary;
  /** candidate − baseline accuracy, as a fraction. */
  accuracyDelta: number;
  /** 95% percentile-bootstrap interval of accuracyDelta. */
  ci95: [number, number];
  /** b: baseline right, candidate wrong; c: baseline wrong, candidate right. */
  mcnemar: { b: number; c: number; pValue: number };
  p50DeltaMs: number;
  p95DeltaMs: number;
  /** The comparison on the measure the gate decides on (for `accuracy`, the same numbers as above). */
  measure: MeasureComparison;
  /** The candidate's recall of a label against the spec's floor, when the spec sets one. */
  floor?: FloorCheck;
}

export interface RecallFloor {
  label: string;
  min: number;
}

export interface CompareOptions {
  seed?: number;
  /** What to decide on (default: accuracy, i.e. pass rate with McNemar). */
  measure?: Measure;
  /** The output field whose labels the classification measures and the floor read (default: the first). */
  field?: string;
  recallFloor?: RecallFloor;
}

function rowsById(report: EvalReport, label: string): Map<string, EvalRow> {
  const byId = new Map<string, EvalRow>();
  for (const row of report.rows) {
    if (byId.has(row.id)) throw new Error(`${label} report has duplicate example id "${row.id}"; rows cannot be paired`);
    byId.set(row.id, row);
  }
  return byId;
}

function summarize(rows: readonly EvalRow[]): ArmSummary {
  const { p50, p95 } = rowsLatency(rows);
  return { accuracy: rows.filter((r) => r.passed).length / rows.length, p50Ms: p50, p95Ms: p95 };
}

/** An evaluation row as the measures read it, for the labels of `field` (default: the first gold field). */
export function measureRow(row: EvalRow, field?: string): MeasureRow {
  const name = field ?? Object.keys(row.expected ?? row.outputs ?? {})[0];
  const gold = name === undefined ? undefined : row.expected?.[name];
  const predicted = name === undefined ? undefined : row.outputs?.[name];
  return {
    passed: row.passed,
    score: row.score,
    gold: gold === undefined ? null : String(gold),
    predicted: predicted === undefined ? null : String(predicted),
  };
}

function compareOnMeasure(pairs: readonly Pair<MeasureRow>[], measure: Measure, seed: number): MeasureComparison {
  const baseline = measure.value(pairs.map((p) => p.baseline));
  const candidate = measure.value(pairs.map((p) => p.candidate));
  return {
    name: measure.name,
    title: measure.title,
    test: measure.test,
    baseline,
    candidate,
    delta: pairedDelta(pairs, measure.value),
    ci95: pairedBootstrapDeltaCI(pairs, measure.value, { seed }),
    pValue: pairedPermutationTest(pairs, measure.value, { seed }),
  };
}

/**
 * Pairs the two reports' rows by example id (ids in both reports only, in baseline order) and
 * compares them: McNemar on the discordant pairs, a bootstrap interval for the accuracy difference,
 * latency deltas over the same paired examples, and — when the gate decides on another measure — a
 * paired permutation test and bootstrap interval on that measure.
 */
export function compareReports(baseline: EvalReport, candidate: EvalReport, { seed = 0, measure, field, recallFloor }: CompareOptions = {}): Comparison {
  const candidateRows = rowsById(candidate, 'candidate');
  const pairs = [...rowsById(baseline, 'baseline').values()].flatMap((b) => {
    const c = candidateRows.get(b.id);
    return c ? [{ b, c }] : [];
  });
  if (pairs.length === 0) {
    throw new Error(
      `compareReports: the reports share no example ids (baseline ${baseline.rows.length} rows, candidate ${candidate.rows.length} rows); compare reports on the same split`,
    );
  }

  const base = summarize(pairs.map((p) => p.b));
  const cand = summarize(pairs.map((p) => p.c));
  const diffs = pairs.map((p) => Number(p.c.passed) - Number(p.b.passed));
  const b = diffs.filter((d) => d < 0).length;
  const c = diffs.filter((d) => d > 0).length;
  // (c − b)/n equals the accuracy difference but with a single rounding (0.05, not 0.050000000000000044).
  const accuracyDelta = (c - b) / pairs.length;
  const ci95 = pairedBootstrapCI(diffs, { level: 0.95, seed });
  const pValue = mcnemarExact(b, c);
  const rows = pairs.map((p) => ({ baseline: measureRow(p.b, field), candidate: measureRow(p.c, field) }));
  return {
    n: pairs.length,
    baseline: base,
    candidate: cand,
    accuracyDelta,
    ci95,
    mcnemar: { b, c, pValue },
    p50DeltaMs: cand.p50Ms - base.p50Ms,
    p95DeltaMs: cand.p95Ms - base.p95Ms,
    measure:
      measure === undefined || measure.name === 'accuracy'
        ? { name: 'accuracy', title: 'accuracy', test: 'McNemar', baseline: base.accuracy, candidate: cand.accuracy, delta: accuracyDelta, ci95, pValue }
        : compareOnMeasure(rows, measure, seed),
    ...(recallFloor && { floor: floorCheck(rows, recallFloor) }),
  };
}

function floorCheck(rows: readonly Pair<MeasureRow>[], floor: RecallFloor): FloorCheck {
  const recall = (arm: 'baseline' | 'candidate') => labelRecall(labelPairs(rows.map((r) => r[arm])), floor.label);
  return { ...floor, baseline: recall('baseline'), candidate: recall('candidate') };
}
