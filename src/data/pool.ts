/**
 * Runs many small asynchronous jobs (one image each) with a fixed number in flight.
 *
 * sharp runs each job on libuv's thread pool, which holds 4 threads unless UV_THREADPOOL_SIZE says
 * otherwise when the pool first starts. So that `threads` beyond 4 can take effect, the data layer
 * raises that size to the core count when it is loaded, unless the user already set it.
 */
import * as os from 'node:os';

if (!process.env.UV_THREADPOOL_SIZE) {
  process.env.UV_THREADPOOL_SIZE = String(Math.max(4, os.availableParallelism()));
}

/** The default decoder thread count: every core. */
export function defaultThreads(): number {
  return os.availableParallelism();
}

/**
 * Calls `work(index)` for every index in [0, count) with at most `threads` calls in flight, and
 * `onDone(finished)` after each. Rejects with the first error that `work` throws.
 */
export async function forEachParallel(
  count: number,
  threads: number,
  work: (index: number) => Promise<void>,
  onDone?: (finished: number) => void,
): Promise<void> {
  let next = 0;
  let finished = 0;
  const lane = async () => {
    while (next < count) {
      const index = next++;
      await work(index);
      finished++;
      onDone?.(finished);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(threads, count)) }, lane));
}
