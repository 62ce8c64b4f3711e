/**
 * Seeded randomness for the data layer: the per-epoch image order and the `--max_images` subset.
 *
 * Both must be reproducible from the seed alone, on any machine, so they use a small PRNG of our
 * own (xoshiro128**, seeded through splitmix32) instead of Math.random.
 */

/** Mixes a 32-bit state into a well-spread 32-bit value (one splitmix32 step). */
function splitmix32(state: number): number {
  let z = (state + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A xoshiro128** generator; `next()` returns a uint32. */
export class SeededRandom {
  private readonly s = new Uint32Array(4);

  /** `stream` separates independent sequences drawn from one seed (e.g. one per epoch). */
  constructor(seed: number, stream = 0) {
    let state = splitmix32((seed | 0) ^ Math.imul(stream | 0, 0x632be5ab));
    for (let i = 0; i < 4; i++) {
      state = splitmix32(state + i);
      this.s[i] = state;
    }
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
  }

  next(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** An integer in [0, bound), bound <= 2^32; unbiased (rejects the uneven tail). */
  below(bound: number): number {
    const limit = 0x100000000 - (0x100000000 % bound);
    for (;;) {
      const v = this.next();
      if (v < limit) return v % bound;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * The order in which to visit `count` images in one epoch: a permutation of 0..count-1 that depends
 * only on (seed, epoch), drawn by Fisher-Yates. Epochs count from 0.
 */
export function shuffledOrder(count: number, seed: number, epoch: number): Int32Array {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`Expected count to be a non-negative integer but got ${count}`);
  }
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const random = new SeededRandom(seed, epoch + 1);
  for (let i = count - 1; i > 0; i--) {
    const j = random.below(i + 1);
    const swap = order[i];
    order[i] = order[j];
    order[j] = swap;
  }
  return order;
}

/**
 * Which `keep` of `count` items a seeded subset holds, in ascending order, so that the subset keeps
 * the folder's order. Returns all indices when keep >= count.
 */
export function seededSubset(count: number, keep: number, seed: number): Int32Array {
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  if (keep >= count) return order;
  // Stream 0 is reserved for subsets; epochs use streams 1, 2, ...
  const random = new SeededRandom(seed, 0);
  for (let i = 0; i < keep; i++) {
    const j = i + random.below(count - i);
    const swap = order[i];
    order[i] = order[j];
    order[j] = swap;
  }
  return order.slice(0, keep).sort();
}
