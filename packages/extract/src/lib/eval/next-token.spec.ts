import { crossEntropy, klDivergence } from './next-token';

/** Log-probabilities of the given probabilities, as float32. */
const lp = (...p: number[]) => Float32Array.from(p, Math.log);

// [case, target, CE in nats]
test.each<[string, Float32Array, number, number]>([
  ['uniform over 4', lp(0.25, 0.25, 0.25, 0.25), 2, Math.log(4)],
  ['p = (1/4, 3/4), the likely one', lp(0.25, 0.75), 1, Math.log(4 / 3)],
])('crossEntropy: %s', (_case, row, target, expected) => {
  expect(crossEntropy(row, 0, target)).toBeCloseTo(expected, 6);
});

test('rows are read at their offset: the second row of [2, 2]', () => {
  const rows = Float32Array.of(...lp(0.9, 0.1), ...lp(0.5, 0.5));
  expect(crossEntropy(rows, 2, 1)).toBeCloseTo(Math.log(2), 6);
  expect(klDivergence(rows, Float32Array.of(...lp(0.9, 0.1), ...lp(0.25, 0.75)), 2, 2)).toBeCloseTo(0.5 * Math.log(2) + 0.5 * Math.log(2 / 3), 6);
});

// [case, p, q, KL(p ‖ q) by hand]
test.each<[string, Float32Array, Float32Array, number]>([
  ['the same row', lp(0.2, 0.3, 0.5), lp(0.2, 0.3, 0.5), 0],
  ['p = (1/2, 1/2), q = (1/4, 3/4)', lp(0.5, 0.5), lp(0.25, 0.75), 0.5 * Math.log(0.5 / 0.25) + 0.5 * Math.log(0.5 / 0.75)],
  ['p = (1/4, 3/4), q = (1/2, 1/2)', lp(0.25, 0.75), lp(0.5, 0.5), 0.25 * Math.log(0.25 / 0.5) + 0.75 * Math.log(0.75 / 0.5)],
])('klDivergence: %s', (_case, p, q, kl) => {
  expect(klDivergence(p, q, 0, p.length)).toBeCloseTo(kl, 6);
});
