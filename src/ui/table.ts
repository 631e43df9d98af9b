/** Plain-text tables for terminal output: columns sized to their widest cell, numbers right-aligned. */

export type Align = 'left' | 'right';

export interface Column {
  header: string;
  align?: Align;
}

const pad = (text: string, width: number, align: Align): string => (align === 'right' ? text.padStart(width) : text.padEnd(width));

/** Renders rows under a header and a rule; every row must have one cell per column. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  for (const [index, row] of rows.entries()) {
    if (row.length !== columns.length) throw new Error(`table row ${index} has ${row.length} cells, expected ${columns.length}`);
  }
  const widths = columns.map((col, i) => Math.max(col.header.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => pad(cell, widths[i] as number, columns[i]?.align ?? 'left'))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(columns.map((c) => c.header)), rule, ...rows.map(line)].join('\n');
}

/** `0.8733` → `87.3%`; null (not measured) → `-`. */
export const formatPercent = (value: number | null | undefined): string => (value === null || value === undefined ? '-' : `${(value * 100).toFixed(1)}%`);

/** Milliseconds, rounded; null → `-`. */
export const formatMs = (value: number | null | undefined): string => (value === null || value === undefined ? '-' : `${Math.round(value)} ms`);

/** Content-hashed ids are long; the first 12 hex digits identify a version in practice (like git). */
export const shortId = (id: string | null | undefined): string => (id ? id.slice(0, 12) : '-');
