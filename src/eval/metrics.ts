/**
 * How well a learned code predicts a known label, in plain numbers (no tensors):
 *
 * - a categorical code against classes: the confusion matrix, accuracy after the best one-to-one
 *   matching of categories to classes (the Hungarian algorithm), purity, and normalised mutual
 *   information;
 * - any code against a binary attribute: ROC AUC of the code's value (ties count half);
 * - any code against a continuous label: Pearson correlation.
 *
 * Matrices are arrays of rows: confusion[class][category].
 */

/** A one-to-one assignment of rows to columns and the total weight it collects. */
export interface Matching {
  /** The column matched to each row, or -1 for a row left unmatched (more rows than columns). */
  rowToColumn: number[];
  total: number;
}

/**
 * The one-to-one matching of rows to columns with the largest total weight (the Hungarian
 * algorithm, O(n^2 m) for n <= m). A rectangular matrix matches min(rows, columns) pairs.
 */
export function hungarianMatching(weights: readonly (readonly number[])[]): Matching {
  const rows = weights.length;
  const columns = rows === 0 ? 0 : weights[0].length;
  if (weights.some((row) => row.length !== columns)) {
    throw new RangeError('hungarianMatching: every row needs the same number of columns');
  }
  if (rows === 0 || columns === 0) return { rowToColumn: new Array(rows).fill(-1), total: 0 };
  // The solver needs rows <= columns; solve the transpose otherwise.
  if (rows > columns) {
    const transposed = Array.from({ length: columns }, (_, c) => weights.map((row) => row[c]));
    const columnToRow = minimumCostAssignment(transposed.map((row) => row.map((w) => -w)));
    const rowToColumn = new Array<number>(rows).fill(-1);
    columnToRow.forEach((row, column) => (rowToColumn[row] = column));
    return { rowToColumn, total: totalOf(weights, rowToColumn) };
  }
  const rowToColumn = minimumCostAssignment(weights.map((row) => row.map((w) => -w)));
  return { rowToColumn, total: totalOf(weights, rowToColumn) };
}

function totalOf(weights: readonly (readonly number[])[], rowToColumn: number[]): number {
  return rowToColumn.reduce((sum, column, row) =>
    (column < 0 ? sum : sum + weights[row][column]), 0);
}

/**
 * Assigns every row of cost[n][m] (n <= m) a distinct column, minimising the summed cost.
 *
 * Shortest augmenting paths with row and column potentials: row i is added to the matching by
 * growing a tree of tight edges (reduced cost cost - u - v = 0) from it, lowering potentials by
 * the smallest slack until a free column is reached, then flipping the path. Indices are 1-based
 * inside; column 0 is a virtual column holding the row being added.
 */
function minimumCostAssignment(cost: number[][]): number[] {
  const n = cost.length;
  const m = cost[0].length;
  const rowPotential = new Float64Array(n + 1);
  const columnPotential = new Float64Array(m + 1);
  const rowOfColumn = new Int32Array(m + 1); // 0 = free
  const previousColumn = new Int32Array(m + 1);
  for (let row = 1; row <= n; row++) {
    rowOfColumn[0] = row;
    let column = 0;
    const slack = new Float64Array(m + 1).fill(Infinity);
    const visited = new Uint8Array(m + 1);
    // Grow the tree until it reaches a free column.
    do {
      visited[column] = 1;
      const treeRow = rowOfColumn[column];
      let delta = Infinity;
      let next = 0;
      for (let j = 1; j <= m; j++) {
        if (visited[j]) continue;
        const reduced = cost[treeRow - 1][j - 1] - rowPotential[treeRow] - columnPotential[j];
        if (reduced < slack[j]) {
          slack[j] = reduced;
          previousColumn[j] = column;
        }
        if (slack[j] < delta) {
          delta = slack[j];
          next = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (visited[j]) {
          rowPotential[rowOfColumn[j]] += delta;
          columnPotential[j] -= delta;
        } else {
          slack[j] -= delta;
        }
      }
      column = next;
    } while (rowOfColumn[column] !== 0);
    // Flip the alternating path back to the virtual column.
    while (column !== 0) {
      const before = previousColumn[column];
      rowOfColumn[column] = rowOfColumn[before];
      column = before;
    }
  }
  const rowToColumn = new Array<number>(n).fill(-1);
  for (let j = 1; j <= m; j++) if (rowOfColumn[j] !== 0) rowToColumn[rowOfColumn[j] - 1] = j - 1;
  return rowToColumn;
}

/**
 * Counts [classes][categories]: how often an image of class c was put in category k. Images of
 * class -1 (no class given) are left out.
 */
export function confusionMatrix(classes: ArrayLike<number>, categories: ArrayLike<number>,
  classCount: number, categoryCount: number): number[][] {
  if (classes.length !== categories.length) {
    throw new RangeError(`confusionMatrix: ${classes.length} classes for ${categories.length} ` +
      'predictions');
  }
  const matrix = Array.from({ length: classCount }, () => new Array<number>(categoryCount).fill(0));
  for (let i = 0; i < classes.length; i++) {
    const c = classes[i];
    const k = categories[i];
    if (c === -1) continue; // an image without a class
    if (c < 0 || c >= classCount || k < 0 || k >= categoryCount) {
      throw new RangeError(`confusionMatrix: class ${c} or category ${k} out of range`);
    }
    matrix[c][k] += 1;
  }
  return matrix;
}

/** Accuracy of a categorical code once each category is matched to at most one class. */
export interface MatchedAccuracy {
  /** Images whose category is matched to their class, over all images (0 when there are none). */
  accuracy: number;
  /** The class matched to each category, or -1 (when there are more categories than classes). */
  categoryToClass: number[];
}

/**
 * The best one-to-one matching of categories to classes (Hungarian) applied to
 * confusion[class][category]; images in an unmatched category count as wrong.
 */
export function matchedAccuracy(confusion: readonly (readonly number[])[]): MatchedAccuracy {
  const total = sumMatrix(confusion);
  const categories = confusion.length === 0 ? 0 : confusion[0].length;
  const matching = hungarianMatching(confusion);
  const categoryToClass = new Array<number>(categories).fill(-1);
  matching.rowToColumn.forEach((category, c) => {
    if (category >= 0) categoryToClass[category] = c;
  });
  return { accuracy: total > 0 ? matching.total / total : 0, categoryToClass };
}

/** Purity: each category labelled with its most common class (many categories may share one). */
export function purity(confusion: readonly (readonly number[])[]): number {
  const total = sumMatrix(confusion);
  if (total === 0 || confusion.length === 0) return 0;
  let correct = 0;
  for (let k = 0; k < confusion[0].length; k++) {
    correct += Math.max(...confusion.map((row) => row[k]));
  }
  return correct / total;
}

/**
 * Normalised mutual information of the two partitions a contingency table compares, with
 * arithmetic-mean normalisation: NMI = I(U; V) / ((H(U) + H(V)) / 2), in [0, 1], symmetric.
 * Natural logarithms (the base cancels). Two single-block partitions are identical: NMI 1.
 */
export function normalizedMutualInformation(table: readonly (readonly number[])[]): number {
  const total = sumMatrix(table);
  if (total === 0) return 0;
  const rowSums = table.map((row) => row.reduce((a, b) => a + b, 0));
  const columnSums = table.length === 0 ? [] : table[0].map((_, k) =>
    table.reduce((sum, row) => sum + row[k], 0));
  const rowEntropy = entropy(rowSums, total);
  const columnEntropy = entropy(columnSums, total);
  if (rowEntropy === 0 && columnEntropy === 0) return 1;
  let information = 0;
  table.forEach((row, i) => row.forEach((count, k) => {
    if (count === 0) return;
    information += (count / total) * Math.log((count * total) / (rowSums[i] * columnSums[k]));
  }));
  const mean = (rowEntropy + columnEntropy) / 2;
  return Math.min(1, Math.max(0, information / mean));
}

function entropy(counts: number[], total: number): number {
  return counts.reduce((h, n) => (n > 0 ? h - (n / total) * Math.log(n / total) : h), 0);
}

function sumMatrix(matrix: readonly (readonly number[])[]): number {
  return matrix.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0);
}

/** NMI of two label arrays of equal length (labels are small non-negative integers). */
export function nmiOfLabels(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const countA = maxOf(a) + 1;
  const countB = maxOf(b) + 1;
  return normalizedMutualInformation(confusionMatrix(a, b, countA, countB));
}

function maxOf(values: ArrayLike<number>): number {
  let max = -1;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]);
  return max;
}

/**
 * 1-based ranks of `scores` in ascending order, tied scores sharing the mean of their ranks.
 * Rank once, then call aucFromRanks per label: the AUC of many labels costs one sort.
 */
export function midranks(scores: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: scores.length }, (_, i) => i)
    .sort((a, b) => scores[a] - scores[b]);
  const ranks = new Float64Array(scores.length);
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && scores[order[end]] === scores[order[start]]) end++;
    const rank = (start + 1 + end) / 2; // mean of ranks start+1 .. end
    for (let i = start; i < end; i++) ranks[order[i]] = rank;
    start = end;
  }
  return ranks;
}

/**
 * ROC AUC from midranks (Mann-Whitney U / (positives * negatives)): the chance that a random
 * positive scores above a random negative, ties counting half. The ranks must come from exactly
 * the images `positive` labels. NaN without both classes.
 */
export function aucFromRanks(ranks: ArrayLike<number>, positive: ArrayLike<boolean | number>):
  number {
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < ranks.length; i++) {
    if (positive[i]) {
      positives++;
      rankSum += ranks[i];
    }
  }
  const negatives = ranks.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** ROC AUC of `scores` for the binary label `positive` (ties count half); NaN without both. */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean | number>): number {
  if (scores.length !== positive.length) {
    throw new RangeError(`rocAuc: ${scores.length} scores for ${positive.length} labels`);
  }
  return aucFromRanks(midranks(scores), positive);
}

/** Pearson correlation in [-1, 1]; NaN when either side is constant or there are under 2 values. */
export function pearsonCorrelation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) {
    throw new RangeError(`pearsonCorrelation: ${x.length} values against ${y.length}`);
  }
  const n = x.length;
  if (n < 2) return NaN;
  let meanX = 0;
  let meanY = 0;
  for (let i = 0; i < n; i++) {
    meanX += x[i] / n;
    meanY += y[i] / n;
  }
  let covariance = 0;
  let varianceX = 0;
  let varianceY = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - meanX;
    const dy = y[i] - meanY;
    covariance += dx * dy;
    varianceX += dx * dx;
    varianceY += dy * dy;
  }
  if (varianceX === 0 || varianceY === 0) return NaN;
  return Math.max(-1, Math.min(1, covariance / Math.sqrt(varianceX * varianceY)));
}
