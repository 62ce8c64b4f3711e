import assert from 'node:assert/strict';
import { test } from 'node:test';

import { computeHistogram } from './histogram';

test('histogram buckets are equal-width from min to max and count every finite value once', () => {
  const histogram = computeHistogram([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5)!;
  assert.deepEqual(histogram.bucketLimit, [2, 4, 6, 8, 10]);
  // Inner edges count in the upper bucket; max counts in the last.
  assert.deepEqual(histogram.bucket, [2, 2, 2, 2, 3]);
  assert.deepEqual([histogram.min, histogram.max, histogram.num, histogram.sum], [0, 10, 11, 55]);
  assert.equal(histogram.sumSquares, 385);
  assert.equal(histogram.nonFinite, 0);
});

test('equal values make one zero-width bucket; no finite value makes no histogram', () => {
  const histogram = computeHistogram(new Float32Array([0.5, 0.5, 0.5]))!;
  assert.deepEqual([histogram.bucketLimit, histogram.bucket, histogram.min], [[0.5], [3], 0.5]);
  assert.equal(computeHistogram([]), undefined);
  assert.equal(computeHistogram([NaN, Infinity, -Infinity]), undefined);
  assert.equal(computeHistogram([NaN, 1, -Infinity, 2])!.nonFinite, 2);
});

test('extreme values stay in range (no bucket index past the end)', () => {
  const histogram = computeHistogram([-1e308, 1e308, 0, 5e307], 30)!;
  assert.equal(histogram.bucket.length, 30);
  assert.equal(
    histogram.bucket.reduce((a, b) => a + b, 0),
    4,
  );
});
