/**
 * Score vs wall time as a self-contained SVG (no library, no CDN): one panel per task, one colour per
 * system, a hollow marker for zero-shot and a filled one for the optimized program, 95% CI bars.
 */
import type { Score } from './score';

export interface ChartPoint {
  /** The table row (`Kkachi · recommended`). */
  series: string;
  system: string;
  kind: 'zero-shot' | 'optimized';
  seconds: number;
  score: Score;
}

export interface ChartPanel {
  title: string;
  measure: string;
  points: ChartPoint[];
}

const PANEL_W = 300;
const PANEL_H = 240;
const MARGIN = { left: 46, right: 12, top: 28, bottom: 40 };
const LEGEND_H = 56;
const COLOURS: Record<string, string> = { Kkachi: '#1f77b4', DSPy: '#ff7f0e', Ax: '#2ca02c' };
const colour = (system: string): string => COLOURS[system.split(' ')[0] as string] ?? '#7f7f7f';

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const n = (x: number): string => x.toFixed(1);

/** Square markers for Kkachi's recommended optimizer, circles for every BootstrapFewShot. */
function marker(p: ChartPoint, x: number, y: number): string {
  const stroke = colour(p.system);
  const fill = p.kind === 'optimized' ? stroke : 'white';
  return p.series.endsWith('recommended')
    ? `<rect x="${n(x - 4.5)}" y="${n(y - 4.5)}" width="9" height="9" fill="${fill}" stroke="${stroke}" stroke-width="1.5"/>`
    : `<circle cx="${n(x)}" cy="${n(y)}" r="4.5" fill="${fill}" stroke="${stroke}" stroke-width="1.5"/>`;
}

function panel(p: ChartPanel, offsetX: number): string {
  const w = PANEL_W - MARGIN.left - MARGIN.right;
  const h = PANEL_H - MARGIN.top - MARGIN.bottom;
  const maxSeconds = Math.max(1, ...p.points.map((q) => q.seconds)) * 1.08;
  const x = (s: number) => offsetX + MARGIN.left + (s / maxSeconds) * w;
  const y = (v: number) => MARGIN.top + (1 - v) * h;
  const parts = [
    `<text x="${n(offsetX + PANEL_W / 2)}" y="16" text-anchor="middle" font-weight="bold">${escape(p.title)}</text>`,
    `<rect x="${n(offsetX + MARGIN.left)}" y="${MARGIN.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
  ];
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${n(x(0))}" x2="${n(x(maxSeconds))}" y1="${n(y(tick))}" y2="${n(y(tick))}" stroke="#eee"/>`);
    parts.push(`<text x="${n(x(0) - 4)}" y="${n(y(tick) + 4)}" text-anchor="end" font-size="10">${tick.toFixed(2)}</text>`);
  }
  const step = Math.max(1, Math.ceil(maxSeconds / 4 / 50) * 50);
  for (let s = 0; s <= maxSeconds; s += step) {
    parts.push(`<text x="${n(x(s))}" y="${n(y(0) + 14)}" text-anchor="middle" font-size="10">${s}</text>`);
  }
  parts.push(`<text x="${n(offsetX + MARGIN.left + w / 2)}" y="${PANEL_H - 6}" text-anchor="middle" font-size="11">wall time, s</text>`);
  parts.push(`<text transform="translate(${n(offsetX + 12)},${n(MARGIN.top + h / 2)}) rotate(-90)" text-anchor="middle" font-size="11">${escape(p.measure)}</text>`);
  for (const q of p.points) {
    const px = x(q.seconds);
    parts.push(`<line x1="${n(px)}" x2="${n(px)}" y1="${n(y(q.score.low))}" y2="${n(y(q.score.high))}" stroke="${colour(q.system)}" stroke-opacity="0.6"/>`);
    parts.push(marker(q, px, y(q.score.value)));
  }
  return parts.join('\n');
}

export function scoreChart(panels: ChartPanel[]): string {
  const width = PANEL_W * Math.max(1, panels.length);
  const height = PANEL_H + LEGEND_H;
  const series = [...new Map(panels.flatMap((p) => p.points).map((q) => [q.series, q])).values()];
  const legend = series.map((q, i) => {
    const lx = 20 + (i % 3) * 220;
    const ly = PANEL_H + 14 + Math.floor(i / 3) * 18;
    return `${marker({ ...q, kind: 'optimized' }, lx, ly)}<text x="${lx + 10}" y="${ly + 4}" font-size="11">${escape(q.series)}</text>`;
  });
  legend.push(`<text x="${width - 10}" y="${height - 6}" text-anchor="end" font-size="10" fill="#555">hollow: zero-shot · filled: optimized (total wall time) · bars: 95% CI</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...panels.map((p, i) => panel(p, i * PANEL_W)),
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}
