// Threads, BLAS, bfloat16 autocast, libtorch errors surfacing as JS exceptions, and stop
// signals interrupting computation.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { test } from 'node:test';
import * as F from './functional';
import { Adam } from './optim';
import {
  blasInfo, cpuHasBfloat16, getThreads, isInterrupted, setAutocast, setThreads, torchVersion,
  watchStopSignals,
} from './runtime';
import { Generator, full, noGrad, ones, randn, tensor, tidy } from './tensor';
import { assertClose } from './testing';

test('OpenBLAS is held at one thread of its own once the binding has loaded', () => {
  getThreads(); // loads the binding
  assert.equal(process.env.OPENBLAS_NUM_THREADS, '1');
  assert.match(torchVersion(), /^\d+\.\d+/);
  const blas = blasInfo();
  assert.equal(typeof blas.library, 'string');
});

test('setThreads(1) then getThreads() is 1; setThreads(2) gives 2', () => {
  setThreads(1);
  assert.equal(getThreads(), 1);
  // OpenBLAS's OpenMP build sets the OpenMP thread count when told to use one thread; that
  // used to undo libtorch's setting, leaving every op on one thread.
  setThreads(2);
  assert.equal(getThreads(), 2);
  setThreads(1);
  assert.equal(getThreads(), 1);
});

test('setThreads holds more threads than cores to the cores, with a warning', () => {
  const cores = os.availableParallelism();
  const warnings: string[] = [];
  setThreads(cores + 5, (line) => warnings.push(line));
  assert.equal(getThreads(), cores);
  assert.ok(warnings.includes(`${cores + 5} threads asked for, but this machine has ${cores} ` +
    `cores; using ${cores}`), warnings.join('\n'));
  setThreads(1);
});

test('ops give the same numbers on one thread and two', () => {
  const run = (threads: number): number[] => tidy(() => {
    setThreads(threads);
    const g = new Generator(9);
    const x = randn([8, 16, 20, 20], g);
    const w = randn([32, 16, 3, 3], g);
    return F.conv2d(x, w, null, { padding: 1 }).sum([0, 2, 3]).toArray();
  });
  const one = run(1);
  assertClose(run(2), one, { rtol: 1e-4, atol: 1e-3 });
  setThreads(1);
});

test('shape mismatches in matmul and linear throw libtorch\'s message; the process goes on', () => {
  tidy(() => {
    assert.throws(() => ones([2, 3]).matmul(ones([2, 3])),
      { message: 'mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)' });
    assert.throws(() => F.linear(ones([4, 3]), ones([5, 2])),
      /mat1 and mat2 shapes cannot be multiplied \(4x3 and 2x5\)/);
    assert.throws(() => ones([2]).add(ones([3])), /size of tensor a \(2\) must match .* \(3\)/);
    assertClose(ones([1, 2]).matmul(full([2, 1], 3)), [6]); // still working
  });
});

test('crossEntropy with float class targets throws libtorch\'s dtype message', () => tidy(() => {
  assert.throws(() => F.crossEntropy(ones([2, 3]), tensor([0, 1])),
    (error: Error) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /expected scalar type Long but found Float/);
      assert.doesNotMatch(error.message, /Exception raised from|frame #/); // no C++ backtrace
      return true;
    });
  const target = tensor(new Int32Array([0, 1]), [2], 'int64');
  assert.ok(F.crossEntropy(ones([2, 3]), target).item() > 0);
}));

test('a non-tensor where a tensor belongs is a TypeError, not a crash', () => {
  const bad = {} as unknown as ReturnType<typeof ones>;
  assert.throws(() => ones([2]).add(bad), TypeError);
});

test('bfloat16 autocast: matmul and conv run in bfloat16, and stop when turned off', () => {
  try {
    tidy(() => {
      setAutocast(true);
      assert.equal(F.linear(ones([2, 3]), ones([4, 3])).dtype, 'bfloat16');
      assert.equal(F.conv2d(ones([1, 1, 4, 4]), ones([2, 1, 3, 3])).dtype, 'bfloat16');
      assert.equal(ones([2]).add(1).dtype, 'float32'); // elementwise ops are left alone
      setAutocast(false);
      assert.equal(F.linear(ones([2, 3]), ones([4, 3])).dtype, 'float32');
    });
  } finally {
    setAutocast(false);
  }
});

test('autocast sees weights updated in place (no stale bfloat16 copy)', () => {
  try {
    tidy(() => {
      setAutocast(true);
      const w = ones([1, 2]);
      w.requiresGrad = true;
      const x = ones([1, 2]);
      assertClose(F.linear(x, w).to('float32'), [2]);
      noGrad(() => w.copy_(full([1, 2], 3)));
      assertClose(F.linear(x, w).to('float32'), [6]);
      // A forward under noGrad must not cut the weights out of later graphs.
      noGrad(() => F.linear(x, w));
      F.linear(x, w).sum().backward();
      assertClose(w.grad!, [1, 1]);
    });
  } finally {
    setAutocast(false);
  }
});

test('a small model trains under autocast: loss falls, parameters stay float32', () => {
  try {
    tidy(() => {
      setAutocast(true);
      const g = new Generator(1);
      const x = randn([64, 8], g);
      const target = x.narrow(1, 0, 1).mul(2).sub(x.narrow(1, 1, 1));
      const w = randn([1, 8], g).mul(0.1);
      w.requiresGrad = true;
      const adam = new Adam([w], { lr: 0.05 });
      const lossAt = (): number => tidy(() => {
        adam.zeroGrad();
        const loss = F.linear(x, w).to('float32').sub(target).square().mean();
        loss.backward();
        adam.step();
        return loss.item();
      });
      const first = lossAt();
      let last = first;
      for (let i = 0; i < 60; i++) last = lossAt();
      assert.ok(last < first / 10, `loss ${first} -> ${last}`);
      assert.equal(w.dtype, 'float32');
      adam.dispose();
    });
  } finally {
    setAutocast(false);
  }
});

test('cpuHasBfloat16 answers from /proc/cpuinfo', () => {
  assert.equal(typeof cpuHasBfloat16(), 'boolean');
});

/** Sends this process `signal` and waits until `arrived` holds, or `limitMs` passes. */
function signalSelf(signal: NodeJS.Signals, arrived: () => boolean, limitMs = 1000): void {
  process.kill(process.pid, signal);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; !arrived() && waited < limitMs; waited += 5) Atomics.wait(pause, 0, 0, 5);
}

test('while watched, a second stop signal makes the next computing call throw', async () => {
  const seen: NodeJS.Signals[] = [];
  const listener = (signal: NodeJS.Signals) => seen.push(signal);
  process.on('SIGTERM', listener);
  const a = ones([2, 2]);
  const computes = () => {
    try {
      a.add(a).dispose();
      return true;
    } catch (error) {
      if (isInterrupted(error)) return false;
      throw error;
    }
  };
  watchStopSignals(true);
  try {
    signalSelf('SIGTERM', () => false, 50);
    assert.equal(computes(), true, 'a first signal only asks');
    signalSelf('SIGTERM', () => !computes());
    assert.throws(() => a.add(a), (error: unknown) => isInterrupted(error) &&
      error.signal === 'SIGTERM' && /interrupted by a second SIGTERM/.test(error.message));
    a.dispose(); // freeing is never refused
  } finally {
    watchStopSignals(false);
  }
  // Each signal still reached JavaScript's listener.
  await new Promise((resolve) => setTimeout(resolve, 50));
  process.off('SIGTERM', listener);
  assert.deepEqual(seen, ['SIGTERM', 'SIGTERM']);
  assert.equal(ones([1]).add(ones([1])).item(), 2, 'unwatched: computing again');
});

test('each watched stop signal prints its notice at once, from the handler', () => {
  const script = `
    const { watchStopSignals } = require(${JSON.stringify(require.resolve('./runtime'))});
    process.on('SIGTERM', () => process.stdout.write('listener\\n'));
    watchStopSignals(true, { first: { SIGINT: '', SIGTERM: 'warning: SIGTERM: finishing\\n' },
      again: { SIGINT: '', SIGTERM: 'warning: SIGTERM again: quitting\\n' } });
    process.kill(process.pid, 'SIGTERM');
    process.stdout.write('still computing\\n'); // before JavaScript's listener has run
    process.kill(process.pid, 'SIGTERM');
    setTimeout(() => watchStopSignals(false), 50);`;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, 'warning: SIGTERM: finishing\nwarning: SIGTERM again: quitting\n');
  assert.match(result.stdout, /^still computing\nlistener\n/);
});
