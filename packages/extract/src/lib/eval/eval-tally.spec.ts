import { EvalTally, positionBuckets } from './eval-tally';

// [contextSize, first position, buckets]
test.each<[number, number, [number, number][]]>([
  [64, 1, [[1, 7], [8, 15], [16, 31], [32, 63]]],
  [64, 0, [[0, 7], [8, 15], [16, 31], [32, 63]]],
  [128, 1, [[1, 7], [8, 15], [16, 31], [32, 63], [64, 127]]],
  [20, 1, [[1, 7], [8, 15], [16, 19]]],
  [5, 1, [[1, 4]]],
])('positionBuckets(%d, %d)', (contextSize, first, expected) => {
  expect(positionBuckets(contextSize, first).map((b) => [b.from, b.to])).toEqual(expected);
});

test('measures by hand: two positions in two buckets', () => {
  const t = new EvalTally(positionBuckets(16, 1), 2, 4);
  t.addActivation(1, Float32Array.of(1, 0), Float32Array.of(1, 0), [0]); // exact
  t.addActivation(9, Float32Array.of(3, 0), Float32Array.of(2, 0), [0, 2]); // error 1
  t.addPrediction(1, { clean: 1, spliced: 1.5, zero: 3, mean: 2, kl: 0.25 });
  t.addPrediction(9, { clean: 2, spliced: 2.5, zero: 4, mean: 3, kl: 0.75 });
  const { total, buckets } = t.measures();
  // x̄ = (2, 0), Σ‖x − x̄‖² = 2, Σ‖x − x̂‖² = 1
  expect(total).toEqual({
    positions: 2,
    predictions: 2,
    cleanLoss: 1.5,
    splicedLoss: 2,
    zeroAblationLoss: 3.5,
    meanAblationLoss: 2.5,
    deltaLoss: 0.5,
    ceRecoveredZero: 0.75,
    ceRecoveredMean: 0.5,
    kl: 0.5,
    explainedVariance: 0.5,
    l0: 1.5,
    deadFraction: 0.5,
  });
  expect(buckets.map((b) => [b.from, b.to, b.positions, b.deltaLoss, b.l0, b.deadFraction])).toEqual([
    [1, 7, 1, 0.5, 1, 0.75],
    [8, 15, 1, 0.5, 2, 0.5],
  ]);
  expect(() => t.addPrediction(0, { clean: 0, spliced: 0, zero: 0, mean: 0, kl: 0 })).toThrow(/position 0 is in no bucket \(1–7, 8–15\)/);
});
