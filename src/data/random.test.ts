import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { seededSubset, SeededRandom, shuffledOrder } from './random';

function isPermutation(order: Int32Array): boolean {
  return [...order].sort((a, b) => a - b).every((value, i) => value === i);
}

describe('shuffledOrder', () => {
  it('is a permutation that depends only on seed and epoch', () => {
    const order = shuffledOrder(1000, 42, 3);
    assert.ok(isPermutation(order));
    assert.deepEqual(order, shuffledOrder(1000, 42, 3));
    assert.notDeepEqual(order, shuffledOrder(1000, 42, 4));
    assert.notDeepEqual(order, shuffledOrder(1000, 43, 3));
  });

  it('moves most items (not a near-identity order)', () => {
    const order = shuffledOrder(1000, 1, 0);
    const unmoved = order.filter((value, i) => value === i).length;
    assert.ok(unmoved < 10, `${unmoved} of 1000 items stayed in place`);
  });

  it('handles 0 and 1 items and refuses a bad count', () => {
    assert.equal(shuffledOrder(0, 1, 0).length, 0);
    assert.deepEqual([...shuffledOrder(1, 1, 0)], [0]);
    assert.throws(() => shuffledOrder(-1, 1, 0), RangeError);
  });

  it('puts each item first about equally often', () => {
    const firsts = new Array(4).fill(0);
    for (let epoch = 0; epoch < 4000; epoch++) firsts[shuffledOrder(4, 7, epoch)[0]]++;
    for (const n of firsts) assert.ok(n > 850 && n < 1150, `first-place counts ${firsts}`);
  });
});

describe('SeededRandom', () => {
  it('gives values below the bound, covering all of them', () => {
    const random = new SeededRandom(5);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const v = random.below(7);
      assert.ok(v >= 0 && v < 7 && Number.isInteger(v));
      seen.add(v);
    }
    assert.equal(seen.size, 7);
  });
});

describe('seededSubset', () => {
  it('keeps distinct ascending indices, the same for the same seed', () => {
    const subset = seededSubset(500, 50, 9);
    assert.equal(subset.length, 50);
    assert.equal(new Set(subset).size, 50);
    assert.ok(subset.every((v, i) => i === 0 || v > subset[i - 1]));
    assert.ok(subset.every((v) => v >= 0 && v < 500));
    assert.deepEqual(subset, seededSubset(500, 50, 9));
    assert.notDeepEqual(subset, seededSubset(500, 50, 10));
  });

  it('keeps everything when asked for as many as there are', () => {
    assert.deepEqual([...seededSubset(5, 9, 1)], [0, 1, 2, 3, 4]);
  });
});
