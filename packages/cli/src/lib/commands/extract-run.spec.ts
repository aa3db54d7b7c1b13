import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { activationColumns, contextColumns, readShards } from '@saestream/io';
import { runCli } from '../../../test/support/shards';

const tmp = (name: string) => mkdtemp(path.join(tmpdir(), `saestream-cli-${name}-`));
const HOOK = 'blocks.1.hook_resid_post';

beforeAll(async () => {
  process.env.HF_HUB_CACHE = await tmp('hf'); // tiny-random is written here, not in ~/.cache
});

function expectOneLineError(r: { status: number; out: string; err: string }, status: number, message: RegExp): void {
  expect({ status: r.status, out: r.out }).toEqual({ status, out: '' });
  expect(r.err).toMatch(/^saestream: [^\n]*\n$/);
  expect(r.err).toMatch(message);
}

describe('saestream extract', () => {
  it('writes a run that shards inspect describes, with a progress line ending at 100%', async () => {
    // 3000 tokens in 64-token windows: 46 full windows and one of 56; one BOS row left out per window.
    const out = path.join(await tmp('run'), 'tiny');
    const r = await runCli(['extract', '--model', 'tiny-random', '--corpus', 'sotu', '--hook', `${HOOK},blocks.0.hook_mlp_out`, '--max-tokens', '3000', '--out', out]);
    expect(r.status).toBe(0);
    expect(r.out).toBe(`${out}: 3,000 tokens in 47 contexts of tiny-random on sotu; 2,953 activation rows per hook at ${HOOK}, blocks.0.hook_mlp_out\n`);
    expect(r.err.trimEnd().split('\n').pop()).toMatch(/^extract {2}\[█{20}\] 100% {2}3,000\/3,000 tokens {2}[\d,]+ tok\/s {2}ETA 0s$/);

    const inspect = await runCli(['shards', 'inspect', path.join(out, 'activations', HOOK)]);
    expect(inspect.status).toBe(0);
    expect(inspect.out).toContain('  d_model       64');
    expect(inspect.out).toMatch(/total \(1 shards\) +2953/);

    // The same command again: found finished, nothing redone.
    const before = await readFile(path.join(out, 'manifest.json'), 'utf8');
    expect((await runCli(['extract', '--model', 'tiny-random', '--hook', `${HOOK},blocks.0.hook_mlp_out`, '--max-tokens', '3000', '--out', out])).status).toBe(0);
    expect(await readFile(path.join(out, 'manifest.json'), 'utf8')).toBe(before);
    // Another config on the same directory: refused.
    const other = await runCli(['extract', '--model', 'tiny-random', '--hook', HOOK, '--max-tokens', '3000', '--out', out]);
    expectOneLineError(other, 1, /holds an extraction with another .*use another --out/);
  });

  it('--tokens reproduces the given ids exactly, windowed as given with no BOS', async () => {
    const dir = await tmp('tokens');
    const ids = [
      [50256, 17, 3290, 11, 50000, 7, 7, 7, 1, 2, 3],
      [5, 6],
      [42, 43, 44, 45, 46, 47, 48, 49, 50],
    ];
    await writeFile(path.join(dir, 'ids.jsonl'), ids.map((a) => JSON.stringify(a)).join('\n') + '\n');
    const out = path.join(dir, 'run');
    const r = await runCli(['extract', '--model', 'tiny-random', '--tokens', path.join(dir, 'ids.jsonl'), '--hook', HOOK, '--context', '8', '--out', out]);
    expect(r.status).toBe(0);
    const tokens: number[] = [];
    for await (const b of readShards(path.join(out, 'activations', HOOK))) tokens.push(...activationColumns(b).token);
    expect(tokens).toEqual(ids.flat());
    const windows: number[][] = [];
    for await (const b of readShards(path.join(out, 'contexts'))) {
      const c = contextColumns(b);
      for (let i = 0; i < c.rows; i++) windows.push(Array.from(c.tokens.subarray(c.tokenOffsets[i], c.tokenOffsets[i + 1])));
    }
    expect(windows).toEqual([ids[0].slice(0, 8), ids[0].slice(8), ids[1], ids[2].slice(0, 8), ids[2].slice(8)]);
  });

  it.each([
    [['--hook', HOOK, '--out', 'x'], /missing --model/],
    [['--model', 'tiny-random', '--out', 'x'], /missing --hook/],
    [['--model', 'tiny-random', '--hook', HOOK], /missing --out/],
    [['--model', 'tiny-random', '--hook', HOOK, '--out', 'x', '--corpus', 'sotu', '--tokens', 'f'], /give --corpus or --tokens, not both/],
    [['--model', 'tiny-random', '--hook', HOOK, '--out', 'x', '--context', '0'], /'--context' must be a positive integer but got '0'/],
    [['--model', 'tiny-random', '--hook', HOOK, '--out', 'x', '--max-tokens', 'abc'], /'--max-tokens' must be a non-negative integer but got 'abc'/],
    [['--model', 'tiny-random', '--hook', HOOK, '--out', 'x', '--frob'], /unknown flag '--frob' for 'extract'/],
  ])('usage error %j', async (args, message) => {
    expectOneLineError(await runCli(['extract', ...args]), 2, message);
  });

  it.each([
    [['--hook', 'blocks.1.hook_resid_pots'], /unknown hook 'blocks.1.hook_resid_pots' for this model \(2 layers\); valid: .*blocks.\{0..1\}.hook_resid_post/],
    [['--hook', 'blocks.7.hook_resid_post'], /unknown hook 'blocks.7.hook_resid_post'/],
    [['--hook', HOOK, '--context', '2000'], /2000.*1024|1024.*2000/],
  ])('work error %j', async (args, message) => {
    const out = path.join(await tmp('bad'), 'out');
    expectOneLineError(await runCli(['extract', '--model', 'tiny-random', '--out', out, ...args]), 1, message);
  });

  it('documents every flag in --help', async () => {
    const r = await runCli(['extract', '--help']);
    expect(r.status).toBe(0);
    for (const flag of ['--model', '--hook', '--out', '--corpus', '--tokens', '--context', '--no-bos', '--keep-bos', '--max-tokens', '--batch', '--threads']) expect(r.out).toContain(flag);
  });
});
