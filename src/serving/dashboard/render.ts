/**
 * The dashboard page, rendered on the server: plain HTML and an inline SVG chart per task, no script
 * and nothing fetched from elsewhere. Every value from the store is escaped.
 */
import type { VersionMetrics } from '../../store/types';
import { describeCycleStep, type CycleProgress } from '../../temporal/cycle-progress';
import type { TaskView } from './data';

export interface TemporalLinks {
  /** Web UI base, e.g. http://127.0.0.1:8233. */
  ui: string;
  namespace: string;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const short = (id: string | null): string => (id ? id.slice(0, 10) : '-');
const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)}%`);
const time = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

/** Held-out (gate) and live accuracy per version, oldest to newest: two polylines on a 0–100% scale. */
export function accuracyChart(versions: readonly VersionMetrics[]): string {
  const width = 640;
  const height = 220;
  const pad = { left: 44, right: 16, top: 14, bottom: 34 };
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const x = (i: number): number => pad.left + (versions.length === 1 ? innerW / 2 : (i * innerW) / (versions.length - 1));
  const y = (v: number): number => pad.top + innerH * (1 - v);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((v) => `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v)}" y2="${y(v)}" class="grid"/><text x="${pad.left - 6}" y="${y(v) + 4}" class="axis" text-anchor="end">${v * 100}%</text>`)
    .join('');
  const series = (name: string, value: (v: VersionMetrics) => number | null | undefined): string => {
    const points = versions.flatMap((v, i) => {
      const a = value(v);
      return a === null || a === undefined ? [] : [[x(i), y(a), a] as const];
    });
    const line = points.length > 1 ? `<polyline class="${name}" points="${points.map(([px, py]) => `${px},${py}`).join(' ')}"/>` : '';
    return line + points.map(([px, py, a]) => `<circle class="${name}" cx="${px}" cy="${py}" r="4"><title>${name} ${pct(a)}</title></circle>`).join('');
  };
  const labels = versions.map((v, i) => `<text x="${x(i)}" y="${height - 12}" class="axis" text-anchor="middle">v${i + 1}</text>`).join('');
  return (
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="held-out and live accuracy per version">` +
    `${grid}${labels}${series('heldout', (v) => v.heldOut)}${series('live', (v) => v.liveAccuracy)}</svg>` +
    `<p class="legend"><span class="key heldout"></span>held-out accuracy (gate) <span class="key live"></span>live accuracy (feedback)</p>`
  );
}

function versionRows(view: TaskView): string {
  return view.versions
    .map(
      (v, i) =>
        `<tr class="version ${v.status.replace(' ', '-')}"><td>v${i + 1}</td><td><code title="${esc(v.versionId)}">${esc(short(v.versionId))}</code></td><td>${esc(v.status)}${
        v.rolledBackReason ? `<div class="why">${esc(v.rolledBackReason)}</div>` : ''
      }</td><td>${time(v.createdAt)}</td><td>${pct(v.heldOut)}</td><td>${pct(v.liveAccuracy)}</td><td>${v.predictions}</td><td>${v.corrections}</td><td>${pct(v.feedbackRate)}</td><td>${
        v.latency ? `${v.latency.p50Ms.toFixed(0)} / ${v.latency.p95Ms.toFixed(0)} ms` : '–'
        }</td></tr>`,
    )
    .join('');
}

function workflowLink(id: string, links: TemporalLinks): string {
  return `<a href="${esc(`${links.ui}/namespaces/${encodeURIComponent(links.namespace)}/workflows/${encodeURIComponent(id)}`)}">${esc(id)}</a>`;
}

function runLink(actor: string, links: TemporalLinks): string {
  const match = /^rollout:(.+)$/.exec(actor);
  return match ? workflowLink(match[1] as string, links) : esc(actor);
}

/** The running cycle: its stage, examples done of total as a bar, accuracy so far, and its run. */
function progressLine(p: CycleProgress, links: TemporalLinks): string {
  const step = p.activity?.progress;
  const bar = step && step.total > 0 ? ` <progress max="${step.total}" value="${step.done}"></progress>` : '';
  return `<p class="progress">running: ${esc(describeCycleStep(p))}${bar} · ${workflowLink(p.workflowId, links)}</p>`;
}

function verdictRows(view: TaskView, links: TemporalLinks): string {
  return view.verdicts
    .map((e) => `<tr><td>${time(e.at)}</td><td>${e.pointer}</td><td><code>${esc(short(e.fromVersion))}</code> → <code>${esc(short(e.toVersion))}</code></td><td>${esc(e.reason)}</td><td>${runLink(e.actor, links)}</td></tr>`)
    .join('');
}

function taskSection(view: TaskView, links: TemporalLinks): string {
  const runs = `${links.ui}/namespaces/${encodeURIComponent(links.namespace)}/workflows?query=${encodeURIComponent(`KkachiTask="${view.task}"`)}`;
  const canary = view.routing.canary ? ` · canary <code>${esc(short(view.routing.canary.versionId))}</code> on ${pct(view.routing.canary.share)} of traffic` : '';
  return `<section class="task" id="task-${esc(view.task)}">
<h2>${esc(view.task)}</h2>
<p>active <code>${esc(short(view.routing.active))}</code>${canary} · <a href="${esc(runs)}">runs in the Temporal Web UI</a></p>
${view.progress ? progressLine(view.progress, links) : ''}
${view.versions.length > 0 ? accuracyChart(view.versions) : ''}
<h3>Versions</h3>
<table class="versions"><thead><tr><th></th><th>version</th><th>status</th><th>created</th><th>held-out</th><th>live</th><th>predictions</th><th>corrections</th><th>feedback rate</th><th>p50 / p95</th></tr></thead><tbody>${versionRows(view)}</tbody></table>
<h3>Gate and canary verdicts</h3>
<table class="verdicts"><thead><tr><th>when</th><th>pointer</th><th>move</th><th>reason</th><th>run</th></tr></thead><tbody>${verdictRows(view, links)}</tbody></table>
</section>`;
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2330;background:#fafbfc}h1{font-size:22px}h2{margin:0 0 4px}
section.task{background:#fff;border:1px solid #dde2ea;border-radius:8px;padding:16px 20px;margin:0 0 24px}
table{border-collapse:collapse;width:100%;margin:4px 0 12px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef0f4;vertical-align:top}
th{font-weight:600;color:#566}code{font-size:12px}.why{color:#a33;font-size:12px}tr.active td{background:#eef8ee}tr.canary td{background:#fff7e6}tr.rolled-back td{color:#888}
.chart .grid{stroke:#e4e7ec}.chart .axis{font-size:11px;fill:#667}.chart polyline{fill:none;stroke-width:2}
.chart .heldout{stroke:#2f6fdf;fill:#2f6fdf}.chart .live{stroke:#e07b1a;fill:#e07b1a}.chart polyline.heldout,.chart polyline.live{fill:none}
.progress{background:#f1f6ff;border-radius:6px;padding:6px 10px}.progress progress{vertical-align:middle;width:160px}
.legend{font-size:12px;color:#556}.key{display:inline-block;width:12px;height:12px;border-radius:6px;margin:0 4px 0 12px;vertical-align:-1px}.key.heldout{background:#2f6fdf}.key.live{background:#e07b1a}`;

export function renderDashboard(views: readonly TaskView[], links: TemporalLinks): string {
  const body = views.length === 0 ? '<p>No tasks in the store yet: start a learner with <code>kkachi task start --spec FILE</code>.</p>' : views.map((v) => taskSection(v, links)).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Kkachi</title><style>${STYLE}</style></head><body><h1>Kkachi — tasks</h1>\n${body}\n</body></html>`;
}
