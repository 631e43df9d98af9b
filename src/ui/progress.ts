/**
 * Progress reporting on stderr. On a TTY one line redraws in place (a bar with counts and running
 * accuracy); elsewhere (CI logs, pipes) it degrades to plain lines, at most one per 10% of the work,
 * so logs stay readable.
 */

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressUpdate {
  done: number;
  total: number;
  /** Running accuracy in [0, 1], shown when known. */
  accuracy?: number | null;
  /** Short free text after the counts, e.g. "12 corrections". */
  note?: string;
}

export interface ProgressBar {
  update(update: ProgressUpdate): void;
  /** Ends the bar: the TTY line is finished with a newline; a final plain line is written otherwise. */
  finish(note?: string): void;
}

const BAR_WIDTH = 24;

export function describeProgress(label: string, { done, total, accuracy, note }: ProgressUpdate): string {
  const parts = [`${label} ${done}/${total}`];
  if (accuracy !== undefined && accuracy !== null) parts.push(`acc ${(accuracy * 100).toFixed(1)}%`);
  if (note) parts.push(note);
  return parts.join('  ');
}

function bar(done: number, total: number): string {
  const filled = total > 0 ? Math.min(BAR_WIDTH, Math.round((done / total) * BAR_WIDTH)) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
}

export function createProgressBar(stream: ProgressStream, label: string): ProgressBar {
  let last: ProgressUpdate | undefined;
  let lastDecile = -1;
  let lastLine = '';
  let open = false;

  const drawTTY = (u: ProgressUpdate): void => {
    const text = `${bar(u.done, u.total)} ${describeProgress(label, u)}`;
    const width = (stream.columns ?? 100) - 1;
    stream.write(`\r${text.slice(0, width).padEnd(width)}`);
    open = true;
  };

  return {
    update(u) {
      last = u;
      if (stream.isTTY) return drawTTY(u);
      const decile = u.total > 0 ? Math.floor((u.done / u.total) * 10) : 0;
      if (decile === lastDecile || u.done === u.total) return; // the finishing line reports completion
      lastDecile = decile;
      lastLine = describeProgress(label, u);
      stream.write(`${lastLine}\n`);
    },
    finish(note) {
      const final = last ? { ...last, note: note ?? last.note } : undefined;
      if (stream.isTTY) {
        if (final) drawTTY(final);
        if (open) stream.write('\n');
        return;
      }
      // The closing line, unless the last plain line already said exactly that.
      if (final && describeProgress(label, final) !== lastLine) stream.write(`${describeProgress(label, final)}\n`);
    },
  };
}
