import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { activationColumns, contextColumns, readManifest, readShards } from '@saestream/io';
import { loadModelDir, resolveModel } from '../model';
import { Gpt2Runner, gpt2ConfigFromHf } from '../graph';
import { runExtraction } from './run-extraction';

const ROOT = path.join(__dirname, '..', '..', '..', '..', '..');
const tmp = (name: string) => mkdtemp(path.join(tmpdir(), `saestream-${name}-`));
const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

beforeAll(async () => {
  process.env.HF_HUB_CACHE = await tmp('hf-cache'); // tiny-random is written here, not in ~/.cache
});

describe('an extraction run', () => {
  it('gives each window exactly the activations of an unpadded forward pass of that window alone', async () => {
    const corpus = path.join(await tmp('corpus'), 'docs.jsonl');
    const texts = ['The Congress shall make no law.', 'We hold these truths to be self-evident, that all men are created equal.', 'Four score and seven years ago our fathers brought forth on this continent a new nation, conceived in liberty, and dedicated to the proposition that all men are created equal.'];
    await writeFile(corpus, texts.map((text) => JSON.stringify({ text })).join('\n') + '\n');
    const out = await tmp('run');
    const hooks = ['blocks.0.hook_resid_post', 'blocks.1.mlp.hook_post'];
    // 12-token windows, 3 per pass: passes mix full windows with the shorter ends of documents (padded).
    const m = await runExtraction({ model: 'tiny-random', hooks, corpus, contextSize: 12, batchContexts: 3 }, out);
    expect(m.rows).toBe(m.tokens - m.contexts); // the BOS row of each window left out

    const contexts = (await collect(readShards(path.join(out, 'contexts')))).map(contextColumns);
    const windows = contexts.flatMap((c) => Array.from({ length: c.rows }, (_, i) => c.tokens.slice(c.tokenOffsets[i], c.tokenOffsets[i + 1])));
    expect(windows.length).toBe(m.contexts);
    expect(new Set(windows.map((w) => w.length)).size).toBeGreaterThan(1);

    const model = await loadModelDir(await resolveModel('tiny-random'));
    const runner = await Gpt2Runner.create({ config: gpt2ConfigFromHf(model.configJson), weights: model.weights }, hooks);
    try {
      for (const hook of hooks) {
        const batches = (await collect(readShards(path.join(out, 'activations', hook)))).map(activationColumns);
        const width = batches[0].dModel;
        const all = { ctx: batches.flatMap((b) => Array.from(b.ctx)), pos: batches.flatMap((b) => Array.from(b.pos)), token: batches.flatMap((b) => Array.from(b.token)) };
        const act = Float32Array.from(batches.flatMap((b) => Array.from(b.act))); // [rows, width]
        let r = 0;
        let worst = 0;
        for (let ctx = 0; ctx < windows.length; ctx++) {
          const w = windows[ctx];
          const alone = (await runner.run(Int32Array.from(w), 1, w.length)).get(hook)!.data; // [1, len, width]
          for (let pos = 1; pos < w.length; pos++, r++) {
            expect([all.ctx[r], all.pos[r], all.token[r]]).toEqual([ctx, pos, w[pos]]);
            for (let j = 0; j < width; j++) worst = Math.max(worst, Math.abs(act[r * width + j] - alone[pos * width + j]));
          }
        }
        expect(r).toBe(m.rows);
        expect(worst).toBeLessThan(1e-5); // float32 kernels on different shapes; padding itself changes nothing
      }
    } finally {
      await runner.release();
    }
  });

  it('leaves OUT untouched when the corpus is empty', async () => {
    const corpus = path.join(await tmp('corpus'), 'empty.jsonl');
    await writeFile(corpus, '\n');
    const out = path.join(await tmp('run'), 'out');
    await expect(runExtraction({ model: 'tiny-random', hooks: ['blocks.0.hook_resid_post'], corpus }, out)).rejects.toMatchObject({ code: 'BAD_CORPUS' });
    expect(existsSync(out)).toBe(false);
  });
});

/** Runs the extraction child; with `killAtTokens`, SIGKILLs it once it reports that many tokens. */
function runChild(dir: string, killAtTokens?: number): Promise<{ out: string; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const args = ['-r', path.join(ROOT, 'tools', 'ts-register.js'), path.join(ROOT, 'packages/extract/test/support/run-extract.ts'), dir];
    const child = spawn(process.execPath, killAtTokens ? [...args, '40'] : args, { cwd: ROOT, env: process.env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const last = [...out.matchAll(/tokens (\d+)\n/g)].pop();
      if (killAtTokens && last && Number(last[1]) >= killAtTokens) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code, signal) => (code === 0 || signal ? resolve({ out, signal }) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

describe('an extraction killed with SIGKILL', () => {
  it('resumes to the same shards as an uninterrupted run', async () => {
    const killed = await tmp('killed');
    const clean = await tmp('clean');
    const first = await runChild(killed, 3000);
    expect(first.signal).toBe('SIGKILL');
    expect(existsSync(path.join(killed, 'manifest.json'))).toBe(false);
    const partial = await readManifest(path.join(killed, 'activations', 'blocks.0.hook_resid_post'));
    expect(partial!.rows).toBeGreaterThan(0);
    expect(partial!.rows).toBeLessThan(6000 - 94);

    await runChild(killed);
    await runChild(clean);
    const dirs = ['contexts', 'activations/blocks.0.hook_resid_post', 'activations/blocks.1.hook_mlp_out'];
    for (const d of dirs) {
      const [a, b] = [await readManifest(path.join(killed, d)), await readManifest(path.join(clean, d))];
      expect(a!.complete).toBe(true);
      expect(a!.shards).toEqual(b!.shards); // the same files, byte for byte (sha256 per shard and row group)
    }
    expect(await readFile(path.join(killed, 'manifest.json'), 'utf8')).toBe(await readFile(path.join(clean, 'manifest.json'), 'utf8'));
  });
});
