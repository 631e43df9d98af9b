import { rowsLatency, type EvalReport, type EvalRow } from '../evaluate';
import { pairedBootstrapCI } from './bootstrap';
import { mcnemarExact } from './mcnemar';

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

/**
 * Pairs the two reports' rows by example id (ids in both reports only, in baseline order) and
 * compares them: McNemar on the discordant pairs, a bootstrap interval for the accuracy difference,
 * and latency deltas over the same paired examples.
 */
export function compareReports(baseline: EvalReport, candidate: EvalReport, { seed = 0 }: { seed?: number } = {}): Comparison {
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
  return {
    n: pairs.length,
    baseline: base,
    candidate: cand,
    // (c − b)/n equals the accuracy difference but with a single rounding (0.05, not 0.050000000000000044).
    accuracyDelta: (c - b) / pairs.length,
    ci95: pairedBootstrapCI(diffs, { level: 0.95, seed }),
    mcnemar: { b, c, pValue: mcnemarExact(b, c) },
    p50DeltaMs: cand.p50Ms - base.p50Ms,
    p95DeltaMs: cand.p95Ms - base.p95Ms,
  };
}
