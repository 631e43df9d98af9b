import { createProgressBar, describeProgress } from '../../src/ui/progress';
import { formatMs, formatPercent, renderTable, shortId } from '../../src/ui/table';
import { renderTaskSummary } from '../../src/ui/task-summary';
import { classificationSummary } from '../../src/core/stats/classification';

function sink(isTTY: boolean) {
  const out: string[] = [];
  return { stream: { isTTY, columns: 60, write: (t: string) => out.push(t) }, out };
}

describe('renderTable', () => {
  it('sizes columns to the widest cell and right-aligns numbers', () => {
    const text = renderTable(
      [{ header: 'version' }, { header: 'acc', align: 'right' }],
      [
        ['baseline', '72.0%'],
        ['cycle 1', '100.0%'],
      ],
    );
    expect(text.split('\n')).toEqual(['version      acc', '--------  ------', 'baseline   72.0%', 'cycle 1   100.0%']);
  });

  it('refuses a row with the wrong number of cells', () => {
    expect(() => renderTable([{ header: 'a' }, { header: 'b' }], [['only one']])).toThrow('row 0 has 1 cells, expected 2');
  });

  it('formats percentages, milliseconds and ids, with - for missing values', () => {
    expect(formatPercent(0.8733)).toBe('87.3%');
    expect(formatPercent(null)).toBe('-');
    expect(formatMs(112.6)).toBe('113 ms');
    expect(shortId('0123456789abcdef')).toBe('0123456789ab');
    expect(shortId(null)).toBe('-');
  });
});

describe('progress bar', () => {
  it('redraws one line in place on a TTY and ends it with a newline', () => {
    const { stream, out } = sink(true);
    const bar = createProgressBar(stream, 'eval');
    bar.update({ done: 1, total: 4, accuracy: 1 });
    bar.update({ done: 2, total: 4, accuracy: 0.5 });
    bar.finish();
    expect(out.slice(0, 2).every((t) => t.startsWith('\r') && !t.includes('\n'))).toBe(true);
    expect(out[1]).toContain('[############............] eval 2/4  acc 50.0%');
    expect(out[out.length - 1]).toBe('\n');
  });

  it('degrades to plain lines, at most one per tenth of the work, when not a TTY', () => {
    const { stream, out } = sink(false);
    const bar = createProgressBar(stream, 'eval');
    for (let done = 1; done <= 100; done += 1) bar.update({ done, total: 100, accuracy: 0.9 });
    bar.finish();
    expect(out.every((t) => t.endsWith('\n') && !t.includes('\r'))).toBe(true);
    expect(out.length).toBeLessThanOrEqual(11);
    expect(out[out.length - 1]).toBe('eval 100/100  acc 90.0%\n');
  });

  it('describes counts, accuracy and a note', () => {
    expect(describeProgress('[1/7] corrections', { done: 2, total: 4, accuracy: 0.75, note: '8 predictions' })).toBe('[1/7] corrections 2/4  acc 75.0%  8 predictions');
  });
});

describe('renderTaskSummary', () => {
  it('prints per-label scores, macro-F1 and the confusion matrix for labels; F1 and EM for answers', () => {
    const pairs = [
      ...Array.from({ length: 7 }, () => ({ gold: 'spam', predicted: 'spam' })),
      ...Array.from({ length: 3 }, () => ({ gold: 'spam', predicted: 'ham' })),
      ...Array.from({ length: 9 }, () => ({ gold: 'ham', predicted: 'ham' })),
      { gold: 'ham', predicted: null },
    ];
    const text = renderTaskSummary({ field: 'label', classification: classificationSummary(pairs, ['spam', 'ham']) }) as string;
    expect(text.split('\n')).toEqual([
      'label  precision  recall     F1  support',
      '-----  ---------  ------  -----  -------',
      'spam       1.000   0.700  0.824       10',
      'ham        0.750   0.900  0.818       10',
      'macro-F1 0.821, balanced accuracy 80.0%, accuracy 80.0% (n = 20)',
      '',
      'gold \\ predicted  spam  ham  (other)',
      '----------------  ----  ---  -------',
      'spam                 7    3        0',
      'ham                  0    9        1',
    ]);
    expect(renderTaskSummary({ field: 'answer', answers: { meanF1: 0.4567, exactMatch: 0.25 } })).toBe('mean token F1 0.457, exact match 25.0%');
    expect(renderTaskSummary({ field: 'n' })).toBeNull();
  });
});
