import { initBackend } from '@saestream/sae-core';
import { logitEffects } from './logit-effects';

beforeAll(async () => {
  await initBackend('wasm');
});

it('ranks tokens by W_dec[j] · wte[token], most positive and most negative, against a direct loop', () => {
  const d = 3;
  const vocab = 7;
  const wte = Float32Array.from({ length: vocab * d }, (_, i) => Math.sin(i * 1.7));
  const decoder = Float32Array.from([1, 0, 0, 0, 1, -1, 0.5, 0.5, 0.5]); // 3 latents
  const got = logitEffects(decoder, d, Int32Array.from([2, 0]), wte, vocab, 2, 1);
  for (const [r, j] of [2, 0].entries()) {
    const direct = Array.from({ length: vocab }, (_, t) => ({ token: t, value: [0, 1, 2].reduce((s, i) => s + decoder[j * d + i] * wte[t * d + i], 0) }));
    const pos = [...direct].sort((a, b) => b.value - a.value).slice(0, 2);
    const neg = [...direct].sort((a, b) => a.value - b.value).slice(0, 2);
    expect(got[r].positive.map((e) => e.token)).toEqual(pos.map((e) => e.token));
    expect(got[r].negative.map((e) => e.token)).toEqual(neg.map((e) => e.token));
    got[r].positive.forEach((e, i) => expect(e.value).toBeCloseTo(pos[i].value, 5));
  }
});
