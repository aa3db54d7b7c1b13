import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { readManifest } from '@saestream/io';
import { ACTIVATIONS, activationsDir, contextsDir, expectedActivations, expectedContexts, runCli, scribble, tempDir } from '../../../test/support/shards';
import { shardsInspect } from './shards-inspect';

const inspect = (...args: string[]) => runCli(['shards', 'inspect', ...args]);
const jsonLines = (text: string): unknown[] => text.trimEnd().split('\n').map((l) => JSON.parse(l));

/** A usage or data failure: nothing on stdout, exactly one `saestream: ` line on stderr. */
function expectOneLineError(r: { status: number; out: string; err: string }, status: number, message: RegExp): void {
  expect({ status: r.status, out: r.out }).toEqual({ status, out: '' });
  expect(r.err).toMatch(/^saestream: [^\n]*\n$/);
  expect(r.err).toMatch(message);
}

describe('shards inspect on activations/1', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await activationsDir();
  });

  it('prints the schema, metadata, columns, one line per shard, totals and completeness', async () => {
    const r = await inspect(dir);
    expect({ status: r.status, err: r.err }).toEqual({ status: 0, err: '' });
    const lines = r.out.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        `${dir} (saestream.shards/1)`,
        'schema: activations/1',
        '  model         synthetic',
        '  hook          blocks.0.hook_resid_post',
        '  d_model       8',
        '  context_size  64',
        '  prepend_bos   true',
        '  act    FixedSizeList[8]<Float32>',
        '  ctx    Uint32',
        'manifest: complete (the writer closed normally)',
      ]),
    );
    const manifest = (await readManifest(dir))!;
    for (const s of manifest.shards) {
      const mb = (s.bytes / 1e6).toFixed(2);
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^  ${s.file}\\s+1000\\s+4\\s+${mb}\\s+${s.sha256.slice(0, 12)}$`)));
    }
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}total \(3 shards\)\s+3000\s+12\s+\d+\.\d\d$/));
    expect(r.out).not.toMatch(/verify|first \d+ rows/);
  });

  it('--head 3 --json: the summary object, then the first 3 rows exactly as written', async () => {
    const r = await inspect(dir, '--head', '3', '--json');
    expect({ status: r.status, err: r.err }).toEqual({ status: 0, err: '' });
    const [summary, ...rows] = jsonLines(r.out);
    const manifest = (await readManifest(dir))!;
    expect(summary).toEqual({
      dir,
      format: 'saestream.shards/1',
      schema: 'activations/1',
      metadata: manifest.metadata,
      columns: [
        { name: 'ctx', type: 'Uint32' },
        { name: 'pos', type: 'Uint16' },
        { name: 'token', type: 'Int32' },
        { name: 'act', type: 'FixedSizeList[8]<Float32>' },
      ],
      shards: manifest.shards.map((s) => ({ file: s.file, rows: s.rows, rowGroups: s.rowGroups, bytes: s.bytes, sha256: s.sha256 })),
      totals: { shards: 3, rows: 3000, rowGroups: 12, bytes: manifest.shards.reduce((n, s) => n + s.bytes, 0) },
      complete: true,
    });
    expect(rows).toEqual(expectedActivations(0, 3)); // exact: the JSON numbers are the float32 values
  });

  it('--head across row group and shard boundaries, and past the end', async () => {
    const across = jsonLines((await inspect(dir, '--json', '--head=1001')).out).slice(1);
    expect(across).toEqual(expectedActivations(0, 1001));
    const all = await inspect(dir, '--json', '--head', '5000');
    expect(jsonLines(all.out)).toHaveLength(1 + ACTIVATIONS.rows);
  });

  it('--head in text: a header and one shortened line per row', async () => {
    const r = await inspect(dir, '--head', '2');
    const [first, second] = expectedActivations(0, 2);
    const lines = r.out.trimEnd().split('\n');
    expect(lines.slice(-3)).toEqual([
      'first 2 rows:',
      `  ctx=0 pos=0 token=0 act=[${first.act.map((x) => String(Number(x.toPrecision(4)))).join(', ')}]`,
      `  ctx=0 pos=1 token=7919 act=[${second.act.map((x) => String(Number(x.toPrecision(4)))).join(', ')}]`,
    ]);
  });

  it('--verify reads every row group and reports OK, in text and in the JSON summary', async () => {
    const text = await inspect(dir, '--verify');
    expect(text.status).toBe(0);
    expect(text.out).toContain('verify: OK, read 3000 rows in 12 row groups, every digest matches the manifest\n');
    const [summary] = jsonLines((await inspect(dir, '--verify', '--json')).out);
    expect(summary).toMatchObject({ verify: { ok: true, rows: 3000, rowGroups: 12 } });
  });

  it('--head 0 prints only the summary', async () => {
    expect(jsonLines((await inspect(dir, '--head', '0', '--json')).out)).toHaveLength(1);
  });
});

describe('shards inspect on contexts/1', () => {
  it('prints the schema and columns, and --json rows with their token lists', async () => {
    const dir = await contextsDir();
    const text = await inspect(dir);
    expect(text.status).toBe(0);
    expect(text.out).toContain('schema: contexts/1\n  model   synthetic\n  corpus  synthetic\n');
    expect(text.out).toContain('  tokens  List<Int32>\n');
    expect(text.out).toMatch(/ {2}total \(3 shards\)\s+10\s+5\s/);
    const [summary, ...rows] = jsonLines((await inspect(dir, '--json', '--head', '10')).out);
    expect(summary).toMatchObject({ schema: 'contexts/1', totals: { shards: 3, rows: 10, rowGroups: 5 }, complete: true });
    expect(rows).toEqual(expectedContexts());
    expect((await inspect(dir, '--head', '2')).out).toContain('  ctx=1 doc=0 offset=64 tokens=[1000, 1001, 1002, 1003] (4 tokens)\n');
  });
});

describe('shards inspect on a damaged directory', () => {
  it('--verify names the file and row group of a garbled row group and exits 1; --head stops before it', async () => {
    const dir = await activationsDir();
    const manifest = (await readManifest(dir))!;
    const file = path.join(dir, 'part-00002.parquet');
    const [g0, g1] = manifest.shards[2].rowGroupBytes;
    await scribble(file, g0 + g1 + 40, new Uint8Array(32).fill(0xff)); // inside row group 2 of the last shard

    const r = await inspect(dir, '--verify');
    expect(r.status).toBe(1);
    expect(r.out).toContain('verify: FAILED, CHECKSUM_MISMATCH (the error follows on stderr)\n');
    expect(r.err).toMatch(/^saestream: [^\n]*\n$/);
    expect(r.err).toContain('saestream: verify failed: CHECKSUM_MISMATCH: row group bytes have sha256 ');
    expect(r.err).toContain(`(${file}, row group 2)`);

    const [summary] = jsonLines((await inspect(dir, '--verify', '--json')).out);
    expect(summary).toMatchObject({ verify: { ok: false, code: 'CHECKSUM_MISMATCH' } });

    // The first rows lie in shard 0: reading them never reaches the damage.
    const head = await inspect(dir, '--head', '3', '--json');
    expect({ status: head.status, err: head.err }).toEqual({ status: 0, err: '' });
    expect(jsonLines(head.out).slice(1)).toEqual(expectedActivations(0, 3));
  });
});

describe('shards inspect: command line and directory errors', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await activationsDir();
  });
  const usage = 'usage: saestream shards inspect DIR \\[--head N\\] \\[--json\\] \\[--verify\\]';

  const cases: [string, () => string[], number, RegExp][] = [
    ['missing DIR', () => [], 2, new RegExp(`^saestream: missing DIR; ${usage}\n$`)],
    ['a second positional', () => [dir, 'extra'], 2, /unexpected argument 'extra'; usage: /],
    ['an unknown flag', () => [dir, '--bogus'], 2, /unknown flag '--bogus' for 'shards inspect'; the flags are \[--head N, --json, --verify, --help\]/],
    ['an unknown short flag', () => [dir, '-x'], 2, /unknown flag '-x' for 'shards inspect'/],
    ['--head not a number', () => [dir, '--head', 'abc'], 2, /'--head' must be a non-negative integer but got 'abc'/],
    ['--head negative', () => [dir, '--head', '-1'], 2, /'--head' must be a non-negative integer but got '-1'/],
    ['--head fractional', () => [dir, '--head=1.5'], 2, /'--head' must be a non-negative integer but got '1.5'/],
    ['--head without a value', () => [dir, '--head'], 2, /flag '--head' needs a value: --head N/],
    ['--head followed by a flag', () => [dir, '--head', '--json'], 2, /flag '--head' needs a value: --head N/],
    ['a switch given a value', () => [dir, '--json=yes'], 2, /flag '--json' takes no value but got 'yes'/],
    ['a directory that does not exist', () => [path.join(dir, 'nope')], 1, /^saestream: '.*nope' does not exist\n$/],
  ];
  it.each(cases)('%s', async (_name, args, status, message) => {
    expectOneLineError(await inspect(...args()), status, message);
  });

  it('a directory without manifest.json, a file, and a manifest that is not JSON exit 1', async () => {
    const empty = await tempDir('empty');
    expectOneLineError(await inspect(empty), 1, /is not a shard directory: it has no manifest\.json/);
    const file = path.join(empty, 'note.txt');
    await writeFile(file, 'hello');
    expectOneLineError(await inspect(file), 1, /note\.txt' is not a directory/);
    const broken = path.join(empty, 'broken');
    await mkdir(broken);
    await writeFile(path.join(broken, 'manifest.json'), '{"format": ');
    expectOneLineError(await inspect(broken), 1, /^saestream: the manifest is not valid JSON \(.*manifest\.json\)\n$/);
  });

  it.each([['--help'], ['-h']])('%s prints the help and exits 0, whatever else is on the line', async (flag) => {
    for (const args of [[flag], [dir, '--bogus', flag]]) {
      expect(await inspect(...args)).toEqual({ status: 0, out: shardsInspect.help, err: '' });
    }
    expect(shardsInspect.help).toMatch(/^Usage: saestream shards inspect DIR \[--head N\] \[--json\] \[--verify\]\n/);
  });
});
