/**
 * `saestream shards inspect DIR`: what a shard directory holds, from its manifest, without
 * reading the data; `--head N` reads just the rows it shows, `--verify` reads everything.
 */
import { nonNegativeInt, parseFlags, positionals } from '../args';
import { Command, CliIo } from '../command';
import { CliError, EXIT } from '../errors';
import { jsonLine, rowText, summaryText } from '../format';
import { headRows } from '../rows';
import { openShardDir, summarize, verifyShards } from '../shard-summary';

const usage = 'saestream shards inspect DIR [--head N] [--json] [--verify]';

const flags = {
  head: { type: 'string', value: 'N' },
  json: { type: 'boolean' },
  verify: { type: 'boolean' },
} as const;

const help = `Usage: ${usage}

Describe a shard directory (manifest.json + part-NNNNN.parquet): its schema and metadata,
its columns with their Arrow types, each shard (rows, row groups, MB, sha256 prefix), the
totals, and whether the manifest is complete (the writer closed normally). Only the
manifest is read unless --head or --verify asks for rows.

Arguments:
  DIR          a shard directory, e.g. an extraction's activations/<hook> or contexts

Flags:
  --head N     also print the first N rows; reads only the row groups they are in
  --json       print JSON lines instead: the summary object first, then one object per row,
               {ctx,pos,token,act:[...]} for activations/1, {ctx,doc,offset,tokens:[...]}
               for contexts/1; values are exact
  --verify     read every row group, checking each against the manifest's sha256 first;
               print OK, or the damage found (file and row group) and exit 1
  -h, --help   print this help

Exit status: 0 done, 1 DIR missing, not a shard directory, or damaged, 2 usage error.

Examples:
  saestream shards inspect runs/tiny/activations/blocks.0.hook_resid_post --verify
  saestream shards inspect runs/tiny/contexts --head 3
  saestream shards inspect DIR --json --head 100 | tail -n +2 | jq -c '.act[:4]'
`;

async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseFlags('shards inspect', args, flags);
  const [dir] = positionals(usage, parsed.positionals, ['DIR']);
  const head = parsed.flags.head === undefined ? 0 : nonNegativeInt('--head', parsed.flags.head);
  const print = (line: string) => io.out.write(line + '\n');

  const summary = summarize(dir, await openShardDir(dir));
  // Verified before anything is printed, so that the JSON summary line carries the outcome.
  if (parsed.flags.verify) summary.verify = await verifyShards(dir);
  if (parsed.flags.json) print(jsonLine(summary));
  else summaryText(summary).forEach(print);

  const damage = summary.verify?.ok === false ? summary.verify : undefined;
  if (damage) throw new CliError('DAMAGED', `verify failed: ${damage.code}: ${damage.message}`);

  if (head > 0 && !parsed.flags.json) print(`first ${Math.min(head, summary.totals.rows)} rows:`);
  for await (const row of headRows(dir, summary.schema, head)) print(parsed.flags.json ? jsonLine(row) : `  ${rowText(row)}`);
  return EXIT.ok;
}

export const shardsInspect: Command = {
  name: 'shards inspect',
  summary: 'describe a shard directory: schema, columns, shards, totals (--head N, --json, --verify)',
  usage,
  help,
  run,
};
