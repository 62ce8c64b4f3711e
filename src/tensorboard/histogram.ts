/**
 * Summary statistics and equal-width buckets of a set of values, in the shape of TensorBoard's
 * HistogramProto: bucket i spans bucketLimit[i-1] to bucketLimit[i], the first starting at `min`
 * (TensorBoard reads it so); a value on an inner edge counts in the upper bucket. TensorBoard
 * re-buckets to 30 bins for display, so 30 is the default here too.
 */

/** The fields of a HistogramProto. */
export interface Histogram {
  min: number;
  max: number;
  /** Count of finite values. */
  num: number;
  sum: number;
  sumSquares: number;
  /** Upper edge of each bucket, ascending; the last is `max`. */
  bucketLimit: number[];
  /** Count in each bucket. */
  bucket: number[];
  /** Values left out because they were NaN or infinite. */
  nonFinite: number;
}

/** Default number of buckets. */
export const DEFAULT_BUCKETS = 30;

/**
 * Buckets the finite `values` into `buckets` equal-width bins from their min to their max (one bin
 * when all are equal); undefined when no value is finite. Two passes, nothing allocated per value.
 */
export function computeHistogram(
  values: ArrayLike<number>,
  buckets = DEFAULT_BUCKETS,
): Histogram | undefined {
  const stats = summarise(values);
  if (stats.num === 0) return undefined;
  const { min, max } = stats;
  const count = max > min ? buckets : 1;
  const bucket = new Array<number>(count).fill(0);
  // Divided before subtracting, so that a range wider than the largest double stays finite.
  const width = max / count - min / count;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (!Number.isFinite(value)) continue;
    const index = width > 0 ? Math.floor((value - min) / width) : 0;
    bucket[Math.min(count - 1, index)]++;
  }
  const bucketLimit = bucket.map((_, i) => (i === count - 1 ? max : min + (i + 1) * width));
  return { ...stats, bucketLimit, bucket };
}

function summarise(values: ArrayLike<number>) {
  let min = Infinity;
  let max = -Infinity;
  let num = 0;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (!Number.isFinite(value)) continue;
    if (value < min) min = value;
    if (value > max) max = value;
    num++;
    sum += value;
    sumSquares += value * value;
  }
  return { min, max, num, sum, sumSquares, nonFinite: values.length - num };
}
