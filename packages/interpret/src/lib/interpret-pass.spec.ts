import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { RecordBatch } from 'apache-arrow';
import { activationsBatch, activationsSchema, contextsBatch, contextsSchema, readParquetTable } from '@saestream/io';
import { initBackend, Sae, SaeModel } from '@saestream/sae-core';
import { validateInterpretConfig } from './config';
import { interpretPass } from './interpret-pass';
import { runInterpret } from './run-interpret';

const D = 6; // the SAE is the identity: latent j = ReLU(x_j), so planted values are the latents
const POS = 5; // rows per context (positions 1..5; position 0 is BOS and has no row, as extract writes)
const CTXS = 40;

function identitySae(): Sae {
  const eye = new Float32Array(D * D);
  for (let j = 0; j < D; j++) eye[j * D + j] = 1;
  return { spec: { dIn: D, nLatents: D, k: 1, activation: 'relu', normalize: false }, params: { preBias: new Float32Array(D), latentBias: new Float32Array(D), encoder: eye, decoder: eye.slice() }, meta: { modelName: 'planted', hookName: 'blocks.0.hook_resid_post' } };
}

/** x[ctx, pos, j]: mostly zero; latent j peaks at planted (ctx, pos) with known values; ties planted on purpose. */
function planted(): Float32Array {
  const x = new Float32Array(CTXS * POS * D);
  const set = (ctx: number, pos: number, j: number, v: number): void => void (x[(ctx * POS + (pos - 1)) * D + j] = v);
  for (let c = 0; c < CTXS; c++) {
    for (let p = 1; p <= POS; p++) {
      set(c, p, 0, ((c * 7 + p * 3) % 11) / 10 - 0.3); // dense-ish, some negative (→ 0)
      if ((c + p) % 9 === 0) set(c, p, 1, 0.01 * (c + 1)); // sparse, rising with ctx
    }
  }
  set(3, 2, 2, 5); // latent 2: peaks at ctx 3 …
  set(17, 4, 2, 5); // … tied at ctx 17 (lower ctx ranks first)
  set(17, 1, 2, 1.5); // a second value in ctx 17: the context counts once in the top list, at its max
  set(30, 5, 2, 0.002); // and a tiny one
  return x;
}

const schema = activationsSchema({ model: 'planted', hook: 'blocks.0.hook_resid_post', dModel: D, contextSize: POS + 1, prependBos: true, corpus: 'planted' });
async function* batches(x: Float32Array, rowsPerBatch = 7): AsyncGenerator<RecordBatch> {
  const rows = CTXS * POS;
  for (let s = 0; s < rows; s += rowsPerBatch) {
    const n = Math.min(rowsPerBatch, rows - s);
    const ctx = Uint32Array.from({ length: n }, (_, i) => Math.floor((s + i) / POS));
    const pos = Uint16Array.from({ length: n }, (_, i) => ((s + i) % POS) + 1);
    yield activationsBatch(schema, { ctx, pos, token: Int32Array.from({ length: n }, (_, i) => 100 + ((s + i) % 50)), act: x.slice(s * D, (s + n) * D) });
  }
}

/** The definition, by brute force over every (ctx, pos) value. */
function expected(x: Float32Array, j: number, topN: number) {
  const values: { ctx: number; pos: number; v: number }[] = [];
  for (let c = 0; c < CTXS; c++) for (let p = 1; p <= POS; p++) {
    const v = Math.max(0, x[(c * POS + p - 1) * D + j]);
    if (v > 0) values.push({ ctx: c, pos: p, v });
  }
  const perCtx = new Map<number, { ctx: number; pos: number; v: number }>();
  for (const e of values) if (!perCtx.has(e.ctx) || e.v > (perCtx.get(e.ctx) as { v: number }).v) perCtx.set(e.ctx, e);
  const top = [...perCtx.values()].sort((a, b) => b.v - a.v || a.ctx - b.ctx).slice(0, topN);
  return { count: values.length, max: Math.max(0, ...values.map((e) => e.v)), sum: values.reduce((s, e) => s + e.v, 0), top, values };
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('interpretPass on planted activations', () => {
  const x = planted();
  const config = validateInterpretConfig({ topN: 4, histBins: 12, histMin: 1e-3, histMax: 1e3 });

  it.each([0, 1, 2, 3])('latent %i: counts, max, mean, top contexts and histogram are exact', async (j) => {
    const model = new SaeModel(identitySae());
    const stats = await interpretPass(model, batches(x), Int32Array.from([0, 1, 2, 3]), config);
    model.dispose();
    const want = expected(x, j, 4);
    expect(stats.tokens).toBe(CTXS * POS);
    expect(stats.count[j]).toBe(want.count);
    expect(stats.max[j]).toBe(Math.fround(want.max));
    expect(stats.sum[j]).toBeCloseTo(want.sum, 5);
    expect(stats.top(j).map((e) => [e.ctx, e.pos, e.value])).toEqual(want.top.map((e) => [e.ctx, e.pos, Math.fround(e.v)]));
    // histogram: each value in the bin whose [edge_b, edge_b+1) holds it (log-spaced 1e-3 … 1e3, 2 bins a decade)
    const hist = new Array(12).fill(0);
    for (const e of want.values) hist[Math.min(11, Math.max(0, Math.floor(Math.log10(Math.fround(e.v) / 1e-3) * 2)))]++;
    expect(stats.histogram(j)).toEqual(hist);
  });

  it('puts quantile examples in the bins of their quantiles, and none for a silent latent', async () => {
    const model = new SaeModel(identitySae());
    const stats = await interpretPass(model, batches(x), Int32Array.from([0, 4]), config);
    model.dispose();
    const bands = stats.quantileExamples(0);
    expect(bands.length).toBeGreaterThan(1);
    for (const b of bands) for (const ex of b.examples) expect(ex.value >= b.lo && ex.value < b.hi).toBe(true);
    expect(stats.quantileExamples(1)).toEqual([]); // latent 4 (slot 1) never fires
    expect(stats.count[1]).toBe(0);
  });

  it('refuses a context whose rows are split by another (shuffled input)', async () => {
    async function* shuffled(): AsyncGenerator<RecordBatch> {
      const all: RecordBatch[] = [];
      for await (const b of batches(x, POS)) all.push(b);
      yield* [all[0], all[1], all[0]];
    }
    const model = new SaeModel(identitySae());
    await expect(interpretPass(model, shuffled(), Int32Array.from([0]), config)).rejects.toMatchObject({ code: 'NOT_CONTIGUOUS', message: expect.stringMatching(/rows of context 0 are not together/) });
    model.dispose();
  });
});

describe('runInterpret', () => {
  const x = planted();
  const ctxSchema = contextsSchema({ model: 'planted', corpus: 'planted', context_size: String(POS + 1), prepend_bos: 'true' });
  async function* contexts(): AsyncGenerator<RecordBatch> {
    const tokens = Int32Array.from({ length: CTXS * (POS + 1) }, (_, i) => (i % (POS + 1) === 0 ? 3 : 100 + ((Math.floor(i / (POS + 1)) * POS + (i % (POS + 1)) - 1) % 50)));
    yield contextsBatch(ctxSchema, { ctx: Uint32Array.from({ length: CTXS }, (_, i) => i), doc: Uint32Array.from({ length: CTXS }, (_, i) => Math.floor(i / 10)), offset: Uint32Array.from({ length: CTXS }, (_, i) => (i % 10) * POS), tokenOffsets: Int32Array.from({ length: CTXS + 1 }, (_, i) => i * (POS + 1)), tokens });
  }
  const vocab = Array.from({ length: 200 }, (_, i) => (i === 3 ? '<|endoftext|>' : `Ġw${i}`));
  const inputs = { sae: identitySae(), activations: () => batches(x), activationsMeta: { model: 'planted', hook: 'blocks.0.hook_resid_post', dModel: D }, contexts, vocab, wte: null };

  it('writes tables, viewer data and a manifest that agree with the pass', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'saestream-interpret-'));
    const summary = await runInterpret(inputs, out, { latents: '0-3', config: { topN: 4 } });
    expect(summary).toMatchObject({ tokens: 200, latents: 4, silent: 1 }); // latent 3 is never planted
    const latents = await readParquetTable(path.join(out, 'latents.parquet'));
    expect(Array.from(latents.getChild('id')?.toArray() ?? [])).toEqual([0, 1, 2, 3]);
    expect(Array.from(latents.getChild('count')?.toArray() ?? [])).toEqual([0, 1, 2, 3].map((j) => expected(x, j, 4).count));
    const examples = await readParquetTable(path.join(out, 'examples.parquet'));
    const top2 = examples.toArray().filter((r) => r.latent === 2 && r.kind === 'top');
    expect(top2.map((r) => [r.ctx, r.pos, r.value])).toEqual([[3, 2, 5], [17, 4, 5], [30, 5, Math.fround(0.002)]]);
    expect(Array.from(top2[1].acts.toArray())).toEqual([0, 1.5, 0, 0, 5, 0]); // ctx 17: BOS, then positions 1..5
    const record = summary.records.find((r) => r.id === 2);
    expect(record?.top[0]).toMatchObject({ ctx: 3, doc: 0, offset: 15, pos: 2, tokens: ['<|endoftext|>', ' w115', ' w116', ' w117', ' w118', ' w119'] });
    const page = await readFile(path.join(out, 'viewer', 'data', 'l', '2.js'), 'utf8');
    expect(page.startsWith('SAE_VIEWER.latent(')).toBe(true);
    expect(JSON.parse(page.slice('SAE_VIEWER.latent('.length, -3)).top[0].value).toBe(5);
    expect(JSON.parse(await readFile(path.join(out, 'interpret.json'), 'utf8'))).toMatchObject({ format: 'saestream.interpret/1', tokens: 200, latents: 4 });
  });

  it.each([
    [{ activationsMeta: { model: 'planted', hook: 'blocks.0.hook_resid_post', dModel: 8 } }, /the SAE \(d_in 6, model planted, hook blocks\.0\.hook_resid_post\) and the activations \(d_model 8, .*\) differ in width/],
    [{ activationsMeta: { model: 'planted', hook: 'blocks.3.hook_resid_post', dModel: D } }, /come from different hooks/],
    [{ activationsMeta: { model: 'gpt2', hook: 'blocks.0.hook_resid_post', dModel: D } }, /come from different models/],
    [{ contexts: null }, /no contexts\/ shards beside the activations/],
  ])('refuses mismatched or missing inputs (%#)', async (patch, message) => {
    const out = await mkdtemp(path.join(tmpdir(), 'saestream-interpret-'));
    await expect(runInterpret({ ...inputs, ...patch }, out)).rejects.toThrow(message);
  });

  it('refuses empty activations', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'saestream-interpret-'));
    const empty = async function* (): AsyncGenerator<RecordBatch> {
      return;
    };
    await expect(runInterpret({ ...inputs, activations: empty }, out)).rejects.toMatchObject({ code: 'NO_DATA', message: 'the activations hold no rows' });
  });
});
