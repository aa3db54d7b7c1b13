/**
 * Text output: aligned tables for people, one JSON object per line for `jq`. Functions return
 * lines without newlines and print nothing; commands decide where the lines go.
 */
import { SCHEMA_KEY } from '@saestream/io';
import { Row } from './rows';
import { ShardSummary, VerifyResult } from './shard-summary';

/** Columns padded to their widest cell, two spaces apart; `right` lists right-aligned columns. */
export function table(rows: string[][], right: number[] = []): string[] {
  const widths = rows.reduce<number[]>((w, r) => r.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
  return rows.map((r) => r.map((cell, i) => (right.includes(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd());
}

/** One line of JSON for a JSON-lines stream. */
export const jsonLine = (value: unknown): string => JSON.stringify(value);

/** Bytes as decimal megabytes with two places, as `ls -h --si` and the manifest's readers count. */
export const megabytes = (bytes: number): string => (bytes / 1e6).toFixed(2);

/** A number list shortened for a terminal: the first `keep` items, then how many were left out. */
function preview(values: number[], keep: number, show: (x: number) => string): string {
  const shown = values.slice(0, keep).map(show);
  if (values.length > keep) shown.push(`… ${values.length - keep} more`);
  return `[${shown.join(', ')}]`;
}

/** Four significant digits: enough to recognise a row; `--json` prints values exactly. */
const short = (x: number): string => String(Number(x.toPrecision(4)));

/** One row for people; long activation and token lists are shortened (`--json` has them whole). */
export function rowText(row: Row): string {
  if ('act' in row) return `ctx=${row.ctx} pos=${row.pos} token=${row.token} act=${preview(row.act, 8, short)}`;
  return `ctx=${row.ctx} doc=${row.doc} offset=${row.offset} tokens=${preview(row.tokens, 16, String)} (${row.tokens.length} tokens)`;
}

function verifyText(v: VerifyResult): string {
  if (v.ok) return `verify: OK, read ${v.rows} rows in ${v.rowGroups} row groups, every digest matches the manifest`;
  return `verify: FAILED, ${v.code} (the error follows on stderr)`;
}

/** The summary for people: schema and metadata, columns, one line per shard, totals, state. */
export function summaryText(s: ShardSummary): string[] {
  // The schema name has its own line; the rest of the metadata is listed under it.
  const metadata = Object.entries(s.metadata).filter(([key]) => key !== SCHEMA_KEY);
  const shardRows = s.shards.map((x) => [x.file, String(x.rows), String(x.rowGroups), megabytes(x.bytes), x.sha256.slice(0, 12)]);
  const t = s.totals;
  const lines = [
    `${s.dir} (${s.format})`,
    `schema: ${s.schema}`,
    ...table(metadata).map((l) => `  ${l}`),
    'columns:',
    ...table(s.columns.map((c) => [c.name, c.type])).map((l) => `  ${l}`),
    'shards:',
    ...table(
      [['file', 'rows', 'row groups', 'MB', 'sha256'], ...shardRows, [`total (${t.shards} shards)`, String(t.rows), String(t.rowGroups), megabytes(t.bytes)]],
      [1, 2, 3],
    ).map((l) => `  ${l}`),
    s.complete
      ? 'manifest: complete (the writer closed normally)'
      : 'manifest: incomplete (a writer is adding shards, or was stopped; the shards listed are whole)',
  ];
  if (s.verify) lines.push(verifyText(s.verify));
  return lines;
}
