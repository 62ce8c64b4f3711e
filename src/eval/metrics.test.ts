import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  confusionMatrix, hungarianMatching, matchedAccuracy, midranks, nmiOfLabels,
  normalizedMutualInformation, pearsonCorrelation, purity, rocAuc,
} from './metrics';

/** A small deterministic generator for test data (an LCG; quality does not matter here). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function randomMatrix(rows: number, columns: number, next: () => number): number[][] {
  return Array.from({ length: rows }, () =>
    Array.from({ length: columns }, () => Math.floor(next() * 50)));
}

/** The best one-to-one total by trying every injection of the smaller side into the larger. */
function bruteForceBest(weights: number[][]): number {
  const rows = weights.length;
  const columns = weights[0].length;
  if (rows > columns) return bruteForceBest(weights[0].map((_, c) => weights.map((r) => r[c])));
  const used = new Array<boolean>(columns).fill(false);
  const search = (row: number): number => {
    if (row === rows) return 0;
    let best = -Infinity;
    for (let c = 0; c < columns; c++) {
      if (used[c]) continue;
      used[c] = true;
      best = Math.max(best, weights[row][c] + search(row + 1));
      used[c] = false;
    }
    return best;
  };
  return search(0);
}

function assertOneToOne(rowToColumn: number[], columns: number): void {
  const matched = rowToColumn.filter((c) => c >= 0);
  assert.equal(new Set(matched).size, matched.length, `columns reused: ${rowToColumn}`);
  assert.ok(matched.every((c) => c < columns));
}

describe('hungarianMatching', () => {
  it('recovers the permutation of a permuted diagonal-heavy confusion matrix', () => {
    const classes = 6;
    const permutation = [3, 0, 5, 1, 4, 2]; // class c was learned as category permutation[c]
    const next = lcg(7);
    const confusion = Array.from({ length: classes }, (_, c) => Array.from({ length: classes },
      (_, k) => (k === permutation[c] ? 40 + c : Math.floor(next() * 10))));
    const matching = hungarianMatching(confusion);
    assert.deepEqual(matching.rowToColumn, permutation);
    const total = confusion.flat().reduce((a, b) => a + b, 0);
    const diagonal = permutation.reduce((sum, k, c) => sum + confusion[c][k], 0);
    const result = matchedAccuracy(confusion);
    assert.equal(result.accuracy, diagonal / total);
    assert.deepEqual(result.categoryToClass, [1, 3, 5, 0, 4, 2]);
  });

  it('prefers the best total over the greedy first choice', () => {
    // Greedy takes (0, 0) = 10 and is left with 1; the optimum is 9 + 9 = 18.
    const matching = hungarianMatching([[10, 9], [9, 1]]);
    assert.deepEqual(matching.rowToColumn, [1, 0]);
    assert.equal(matching.total, 18);
  });

  it('matches rectangular matrices both ways, leaving the surplus unmatched', () => {
    const wide = [[1, 9, 1, 0], [9, 1, 1, 0], [2, 2, 5, 7]];
    assert.deepEqual(hungarianMatching(wide), { rowToColumn: [1, 0, 3], total: 25 });
    const tall = wide[0].map((_, c) => wide.map((row) => row[c]));
    assert.deepEqual(hungarianMatching(tall), { rowToColumn: [1, 0, -1, 2], total: 25 });
  });

  it('finds the optimum of random square and rectangular matrices (brute force check)', () => {
    const next = lcg(42);
    for (const [rows, columns] of [[1, 1], [3, 3], [4, 6], [6, 4], [5, 5], [2, 7], [7, 3]]) {
      for (let trial = 0; trial < 20; trial++) {
        const weights = randomMatrix(rows, columns, next);
        const matching = hungarianMatching(weights);
        assertOneToOne(matching.rowToColumn, columns);
        assert.equal(matching.rowToColumn.filter((c) => c >= 0).length, Math.min(rows, columns));
        assert.equal(matching.total, bruteForceBest(weights), `${rows}x${columns}: ${weights}`);
      }
    }
  });

  it('gives more categories than classes one class each at most', () => {
    // 2 classes, 4 categories: class 0 split over categories 0 and 2, class 1 in 3.
    const confusion = [[30, 0, 20, 1], [0, 2, 0, 40]];
    const result = matchedAccuracy(confusion);
    assert.deepEqual(result.categoryToClass, [0, -1, -1, 1]);
    assert.equal(result.accuracy, 70 / 93);
    assert.equal(purity(confusion), (30 + 2 + 20 + 40) / 93);
  });

  it('handles empty input', () => {
    assert.deepEqual(hungarianMatching([]), { rowToColumn: [], total: 0 });
    assert.equal(matchedAccuracy([[0, 0], [0, 0]]).accuracy, 0);
  });
});

describe('confusionMatrix', () => {
  it('counts class x category and refuses out-of-range labels', () => {
    const matrix = confusionMatrix([0, 0, 1, 2, 2, 2], [1, 1, 0, 2, 2, 0], 3, 3);
    assert.deepEqual(matrix, [[0, 2, 0], [1, 0, 0], [1, 0, 2]]);
    assert.throws(() => confusionMatrix([0, 3], [0, 0], 3, 3), RangeError);
    assert.throws(() => confusionMatrix([0], [0, 1], 3, 3), RangeError);
  });
});

describe('rocAuc', () => {
  it('counts tied positive/negative pairs as half (hand-computed)', () => {
    // Pairs (positive, negative): 0.4>0.1 1, 0.4=0.4 0.5, 0.8>0.1 1, 0.8>0.4 1 -> 3.5 / 4.
    assert.equal(rocAuc([0.1, 0.4, 0.4, 0.8], [0, 1, 0, 1]), 0.875);
    // Every score tied: every pair is half.
    assert.equal(rocAuc([2, 2, 2, 2, 2], [1, 0, 1, 0, 0]), 0.5);
    // Three tied at the top: positives 5, 5 vs negatives 5, 1 -> (0.5 + 1) * 2 / 4.
    assert.equal(rocAuc([5, 5, 5, 1], [true, true, false, false]), 0.75);
  });

  it('is 1 for a perfect ranking, 0 for a reversed one, NaN with one class', () => {
    assert.equal(rocAuc([0.1, 0.2, 0.7, 0.9], [0, 0, 1, 1]), 1);
    assert.equal(rocAuc([0.9, 0.7, 0.2, 0.1], [0, 0, 1, 1]), 0);
    assert.ok(Number.isNaN(rocAuc([0.1, 0.2], [1, 1])));
    assert.ok(Number.isNaN(rocAuc([0.1, 0.2], [0, 0])));
  });

  it('equals the pairwise definition on random scores with many ties', () => {
    const next = lcg(3);
    for (let trial = 0; trial < 20; trial++) {
      const scores = Array.from({ length: 40 }, () => Math.floor(next() * 6));
      const labels = scores.map((s) => (next() < 0.2 + s / 10 ? 1 : 0));
      let wins = 0;
      let pairs = 0;
      scores.forEach((p, i) => scores.forEach((n, j) => {
        if (labels[i] !== 1 || labels[j] !== 0) return;
        pairs++;
        wins += p > n ? 1 : p === n ? 0.5 : 0;
      }));
      assert.ok(Math.abs(rocAuc(scores, labels) - wins / pairs) < 1e-12);
    }
  });

  it('ranks ties by their mean rank', () => {
    assert.deepEqual([...midranks([3, 1, 3, 2])], [3.5, 1, 3.5, 2]);
    assert.deepEqual([...midranks([7, 7, 7])], [2, 2, 2]);
  });
});

describe('normalizedMutualInformation', () => {
  it('is 1 for identical partitions, whatever the label names', () => {
    const a = [0, 0, 1, 1, 2, 2, 2, 3];
    assert.equal(nmiOfLabels(a, a), 1);
    assert.ok(Math.abs(nmiOfLabels(a, a.map((x) => (x + 2) % 4)) - 1) < 1e-12);
    assert.equal(nmiOfLabels([0, 0, 0], [0, 0, 0]), 1);
  });

  it('is 0 for exactly independent partitions', () => {
    // Every (a, b) pair occurs equally often: a = i mod 3, b = floor(i / 3) mod 4.
    const a = Array.from({ length: 120 }, (_, i) => i % 3);
    const b = Array.from({ length: 120 }, (_, i) => Math.floor(i / 3) % 4);
    assert.ok(Math.abs(nmiOfLabels(a, b)) < 1e-12);
    assert.equal(nmiOfLabels([0, 1, 0, 1], [0, 0, 0, 0]), 0);
  });

  it('is near 0 for random unrelated labels and symmetric', () => {
    const next = lcg(11);
    const a = Array.from({ length: 5000 }, () => Math.floor(next() * 10));
    const b = Array.from({ length: 5000 }, () => Math.floor(next() * 10));
    const nmi = nmiOfLabels(a, b);
    assert.ok(nmi >= 0 && nmi < 0.01, `NMI ${nmi}`);
    assert.ok(Math.abs(nmi - nmiOfLabels(b, a)) < 1e-15);
  });

  it('matches a hand computation, arithmetic normalisation', () => {
    // H(a) = ln 2, H(b) = -(3/4 ln 3/4 + 1/4 ln 1/4),
    // I = 1/2 ln(4/3) + 1/4 ln(2/3) + 1/4 ln 2; NMI = I / ((H(a) + H(b)) / 2).
    const ha = Math.log(2);
    const hb = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
    const information = 0.5 * Math.log(4 / 3) + 0.25 * Math.log(2 / 3) + 0.25 * Math.log(2);
    const expected = information / ((ha + hb) / 2);
    assert.ok(Math.abs(expected - 0.343711) < 1e-6);
    assert.ok(Math.abs(nmiOfLabels([0, 0, 1, 1], [0, 0, 0, 1]) - expected) < 1e-12);
  });

  it('stays within [0, 1] on random tables, and is symmetric under transposition', () => {
    const next = lcg(5);
    for (let trial = 0; trial < 50; trial++) {
      const table = randomMatrix(2 + (trial % 4), 2 + (trial % 3), next);
      const nmi = normalizedMutualInformation(table);
      const transposed = table[0].map((_, c) => table.map((row) => row[c]));
      assert.ok(nmi >= 0 && nmi <= 1, `NMI ${nmi}`);
      assert.ok(Math.abs(nmi - normalizedMutualInformation(transposed)) < 1e-12);
    }
  });
});

describe('pearsonCorrelation', () => {
  it('is +1 / -1 for exact lines, and matches a hand computation', () => {
    assert.ok(Math.abs(pearsonCorrelation([1, 2, 3, 4], [3, 5, 7, 9]) - 1) < 1e-12);
    assert.ok(Math.abs(pearsonCorrelation([1, 2, 3, 4], [-2, -4, -6, -8]) + 1) < 1e-12);
    // dx = dy-permuted [-1.5, -0.5, 0.5, 1.5]: covariance 3, variances 5 and 5 -> 0.6.
    assert.ok(Math.abs(pearsonCorrelation([1, 2, 3, 4], [2, 1, 4, 3]) - 0.6) < 1e-12);
  });

  it('is NaN for a constant side or too few values, and refuses unequal lengths', () => {
    assert.ok(Number.isNaN(pearsonCorrelation([1, 1, 1], [1, 2, 3])));
    assert.ok(Number.isNaN(pearsonCorrelation([1], [2])));
    assert.throws(() => pearsonCorrelation([1, 2], [1, 2, 3]), RangeError);
  });
});
