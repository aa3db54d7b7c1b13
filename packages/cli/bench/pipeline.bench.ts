/**
 * How long the default `saestream pipeline` takes, end to end, for the two models it defaults to:
 *
 *   tiny-random     the embedded offline fallback (its own defaults: 200k tokens, 512 latents)
 *   gpt2-shaped     a model with GPT-2 small's exact shapes (12 layers, d 768, 12 heads, vocab
 *                   50257, 1024 positions) and random N(0, 0.02) weights: the same FLOPs and
 *                   bytes as GPT-2 small, whose real weights cannot be downloaded here. Passed as
 *                   --model DIR, so the pipeline uses GPT-2 small's defaults (blocks.6, 300k
 *                   tokens, 4096 latents).
 *
 *   npm run bench -w @saestream/cli              (BENCH_ONLY=tiny or BENCH_ONLY=gpt2 for one)
 */
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { resolveModel } from '@saestream/extract';
import { Tensor, writeSafetensors } from '@saestream/io';

const REPO = path.resolve(__dirname, '../../..');

/** GPT-2 small's config.json. */
const CONFIG = { architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_ctx: 1024, n_embd: 768, n_layer: 12, n_head: 12, n_inner: null, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5, bos_token_id: 50256, eos_token_id: 50256 };

function normal(n: number, std: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    s = (s * 1664525 + 1013904223) >>> 0;
    const u = (s + 1) / 4294967297;
    s = (s * 1664525 + 1013904223) >>> 0;
    const v = s / 4294967296;
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

async function writeGpt2Shaped(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const d = 768;
  const t = (shape: number[], std: number, seed: number, offset = 0): Tensor => {
    const data = normal(shape.reduce((a, b) => a * b, 1), std, seed);
    if (offset) for (let i = 0; i < data.length; i++) data[i] += offset;
    return { dtype: 'F32', shape, data };
  };
  const tensors: Record<string, Tensor> = { 'wte.weight': t([50257, d], 0.02, 1), 'wpe.weight': t([1024, d], 0.01, 2) };
  for (let l = 0; l < 12; l++) {
    const s = 100 * (l + 1);
    Object.assign(tensors, {
      [`h.${l}.ln_1.weight`]: t([d], 0.02, s + 1, 1),
      [`h.${l}.ln_1.bias`]: t([d], 0.02, s + 2),
      [`h.${l}.attn.c_attn.weight`]: t([d, 3 * d], 0.02, s + 3),
      [`h.${l}.attn.c_attn.bias`]: t([3 * d], 0.02, s + 4),
      [`h.${l}.attn.c_proj.weight`]: t([d, d], 0.02 / Math.sqrt(24), s + 5),
      [`h.${l}.attn.c_proj.bias`]: t([d], 0.02, s + 6),
      [`h.${l}.ln_2.weight`]: t([d], 0.02, s + 7, 1),
      [`h.${l}.ln_2.bias`]: t([d], 0.02, s + 8),
      [`h.${l}.mlp.c_fc.weight`]: t([d, 4 * d], 0.02, s + 9),
      [`h.${l}.mlp.c_fc.bias`]: t([4 * d], 0.02, s + 10),
      [`h.${l}.mlp.c_proj.weight`]: t([4 * d, d], 0.02 / Math.sqrt(24), s + 11),
      [`h.${l}.mlp.c_proj.bias`]: t([d], 0.02, s + 12),
    });
  }
  tensors['ln_f.weight'] = t([d], 0.02, 5001, 1);
  tensors['ln_f.bias'] = t([d], 0.02, 5002);
  await writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(CONFIG, null, 2));
  await copyFile(path.join(await resolveModel('tiny-random'), 'tokenizer.json'), path.join(dir, 'tokenizer.json')); // GPT-2's exact tokenizer
}

function timePipeline(label: string, args: string[]): void {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['-r', path.join(REPO, 'tools/ts-register.js'), path.join(REPO, 'packages/cli/src/cli.ts'), 'pipeline', ...args], { cwd: REPO, encoding: 'utf8', env: process.env });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${label}: exit ${r.status}\n${r.stderr}`);
  console.log(`${label}: ${seconds.toFixed(0)} s wall (${(seconds / 60).toFixed(1)} min)\n${r.stdout}`);
  const stages = r.stderr.split(/\r|\n/).filter((l) => /100%/.test(l));
  for (const l of stages) console.log(`  ${l.trim()}`);
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'saestream-pipeline-bench-'));
  process.env.HF_HUB_CACHE ??= path.join(root, 'hf');
  const only = process.env.BENCH_ONLY;
  if (only !== 'gpt2') timePipeline('tiny-random, defaults', ['--model', 'tiny-random', '--out', path.join(root, 'tiny')]);
  if (only !== 'tiny') {
    const model = path.join(root, 'gpt2-shaped');
    await writeGpt2Shaped(model);
    timePipeline('GPT-2-small-shaped, defaults', ['--model', model, '--out', path.join(root, 'gpt2')]);
  }
}

void main();
