// Deterministic memory: tidy scopes, dispose, and a training loop that neither leaks tensors nor
// grows the process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as F from './functional';
import * as nn from './nn';
import { Adam } from './optim';
import {
  Generator, Tensor, dispose, keep, memory, ones, randint, randn, tensor, tidy,
} from './tensor';

const live = (): number => memory().numTensors;

function leastSquaresSlope(ys: number[]): number {
  const n = ys.length;
  const meanX = (n - 1) / 2;
  const meanY = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  return num / den;
}

test('1,000 training steps inside tidy: tensor count and RSS stay flat', () => {
  const generator = new Generator(0);
  // [batch, 1, 8, 8] -> conv [batch, 4, 4, 4] -> [batch, 64] -> [batch, 3] logits
  const model = new nn.Sequential([
    new nn.Conv2d(1, 4, 4, { stride: 2, padding: [1, 1, 1, 1], generator }),
    new nn.BatchNorm(4),
    new nn.Activation('lrelu'),
    new nn.Reshape([64]),
    new nn.Linear(64, 3, { generator }),
  ]);
  const adam = new Adam(model.parameters(), { lr: 1e-3, betas: [0.5, 0.999] });
  const images = keep(randn([16, 1, 8, 8], generator));
  const labels = keep(randint(3, [16], generator));
  const step = (): number => tidy(() => {
    adam.zeroGrad();
    const loss = F.crossEntropy(model.forward(images), labels);
    loss.backward();
    adam.step();
    return loss.item();
  });

  // Warm up first: V8's heap and compiled code, and malloc's pools, grow over the first few
  // hundred steps (more under the test runner) and then stay put.
  for (let i = 0; i < 1000; i++) step();
  const tensorsBefore = live();
  const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;
  const rss = [rssMb()];
  const first = step();
  let last = first;
  for (let i = 2; i <= 1000; i++) {
    last = step();
    if (i % 100 === 0) rss.push(rssMb());
    if (i % 250 === 0) assert.equal(live(), tensorsBefore, `tensor count after step ${i}`);
  }
  // A leak shows as a steady slope; allocator noise as a step or two. (A leaked activation of
  // this model, 4 KB a step, would be a slope of 4 MB.)
  const slope = leastSquaresSlope(rss) * 10; // MB per 1,000 steps
  const growth = rss[rss.length - 1] - rss[0];
  const trace = rss.map((v) => v.toFixed(1)).join(', ');
  assert.ok(slope < 2 && growth < 4, `RSS ${trace} MB: slope ${slope.toFixed(2)} MB/1,000 steps`);
  assert.ok(last < first, `loss went from ${first} to ${last}`); // it did train

  adam.dispose();
  model.dispose();
  dispose([images, labels]);
});

test('a synchronous loop of 200,000 tensors made and disposed leaves RSS flat', () => {
  // Node runs Node-API finalisers from the event loop; a handle that needed one kept ~200 bytes
  // per tensor until the loop yielded (+40 MB here), which a training loop never does.
  const x = ones([4]);
  const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;
  for (let i = 0; i < 20_000; i++) x.add(1).dispose();
  const before = rssMb();
  for (let i = 0; i < 200_000; i++) x.add(1).dispose();
  const growth = rssMb() - before;
  assert.ok(growth < 5, `RSS grew ${growth.toFixed(1)} MB`);
  x.dispose();
});

test('tidy frees what it made, except what it returns (nested in arrays and objects)', () => {
  const before = live();
  const kept = tidy(() => {
    ones([2]).add(1); // dropped
    const a = ones([2]);
    const b = ones([3]);
    return { pair: [a, b], label: 'x' };
  });
  assert.equal(live(), before + 2);
  assert.equal(kept.pair[0].isDisposed, false);
  dispose(kept);
  assert.equal(live(), before);
});

test('a tensor returned from an inner tidy belongs to the outer one', () => {
  const before = live();
  let inner: Tensor | undefined;
  tidy(() => {
    inner = tidy(() => ones([2]).mul(3));
    assert.equal(inner.isDisposed, false);
  });
  assert.equal(inner!.isDisposed, true);
  assert.equal(live(), before);
});

test('keep() survives every scope until disposed; a throw still frees the scope', () => {
  const before = live();
  let kept: Tensor | undefined;
  tidy(() => {
    kept = keep(ones([2]));
    ones([5]);
  });
  assert.equal(kept!.isDisposed, false);
  assert.equal(live(), before + 1);
  assert.throws(() => tidy(() => {
    ones([4]);
    throw new Error('midway');
  }), /midway/);
  assert.equal(live(), before + 1);
  kept!.dispose();
  assert.equal(live(), before);
});

test('dispose() twice is safe; a disposed tensor throws when used, here and in C++', () => {
  const before = live();
  const t = tensor([1, 2, 3]);
  t.dispose();
  t.dispose();
  assert.equal(t.isDisposed, true);
  assert.equal(live(), before);
  assert.throws(() => t.add(1), /tensor used after dispose\(\)/);
  assert.throws(() => t.shape, /tensor used after dispose\(\)/);
  assert.throws(() => t.toArray(), /tensor used after dispose\(\)/);
  assert.equal(String(t), 'Tensor(disposed)');
  // The native layer checks too, for a handle that escaped before dispose.
  const other = tensor([1]);
  const handle = other.handle;
  other.dispose();
  assert.throws(() => new Tensor(handle).add(1), /tensor used after dispose\(\)/);
});

test('a dropped tensor is freed by the garbage collector when no scope owns it', async () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return; // needs --expose-gc; the count is exact with tidy anyway
  const before = live();
  (() => { for (let i = 0; i < 100; i++) ones([10]); })();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(live() < before + 100);
});
