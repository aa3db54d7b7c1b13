/**
 * A progress line for long work on stderr: on a terminal one line redrawn in place (at most
 * 10 times a second), elsewhere (CI logs, pipes) a plain line every 10 seconds and at the end.
 *
 *   extract  [██████████░░░░░░░░░░]  51%  10,240/20,000 tokens  1,534 tok/s  ETA 6s
 */
import { TextSink } from './command';

export interface ProgressLine {
  /** Redraws with the work done so far. */
  update(done: number, total: number, extra?: string): void;
  /** Ends the line (a newline on a terminal). */
  finish(): void;
}

const WIDTH = 20;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** The text of one progress line. */
export function progressText(label: string, done: number, total: number, unit: string, extra = ''): string {
  const frac = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(frac * WIDTH);
  const bar = '█'.repeat(filled) + '░'.repeat(WIDTH - filled);
  return `${label}  [${bar}] ${String(Math.floor(frac * 100)).padStart(3)}%  ${fmt(done)}/${fmt(total)} ${unit}${extra ? `  ${extra}` : ''}`;
}

export function progressLine(sink: TextSink & { isTTY?: boolean }, label: string, unit: string): ProgressLine {
  const tty = Boolean(sink.isTTY);
  let last = 0;
  let text = '';
  let shown = '';
  return {
    update(done, total, extra) {
      text = progressText(label, done, total, unit, extra);
      const now = Date.now();
      if (now - last < (tty ? 100 : 10_000) && done < total) return;
      last = now;
      shown = text;
      sink.write(tty ? `\r\x1b[2K${text}` : `${text}\n`);
    },
    finish() {
      if (tty) sink.write(shown === text ? '\n' : `\r\x1b[2K${text}\n`);
      else if (text !== shown) sink.write(`${text}\n`);
    },
  };
}
