// libtorch's autograd through the JS API: leaves, backward, accumulation, clearing, noGrad.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad, ones, tensor, tidy } from './tensor';
import { assertClose } from './testing';

test('tensors do not require grad until asked; results of ops on leaves do', () => tidy(() => {
  const x = tensor([1, 2, 3]);
  assert.equal(x.requiresGrad, false);
  assert.equal(x.mul(2).requiresGrad, false);
  x.requiresGrad = true;
  assert.equal(x.requiresGrad, true);
  assert.equal(x.mul(2).requiresGrad, true);
  assert.equal(x.grad, null);
}));

test('backward fills .grad of every leaf: d/dx sum(x^2 * y) = 2xy, d/dy = x^2', () => tidy(() => {
  const x = tensor([1, 2, 3]);
  const y = tensor([4, 5, 6]);
  x.requiresGrad = true;
  y.requiresGrad = true;
  x.square().mul(y).sum().backward();
  assertClose(x.grad!, [8, 20, 36]);
  assertClose(y.grad!, [1, 4, 9]);
}));

test('backward with an explicit gradient for a non-scalar output', () => tidy(() => {
  const x = tensor([1, 2]);
  x.requiresGrad = true;
  x.mul(3).backward(tensor([1, 10]));
  assertClose(x.grad!, [3, 30]);
}));

test('backward on a non-scalar without a gradient is refused', () => tidy(() => {
  const x = tensor([1, 2]);
  x.requiresGrad = true;
  assert.throws(() => x.mul(3).backward(), /scalar/);
}));

test('gradients accumulate across two backward calls until cleared', () => tidy(() => {
  const x = tensor([1, -2]);
  x.requiresGrad = true;
  x.mul(tensor([3, 4])).sum().backward();
  assertClose(x.grad!, [3, 4]);
  x.mul(tensor([3, 4])).sum().backward();
  assertClose(x.grad!, [6, 8]);
  x.clearGrad();
  assert.equal(x.grad, null);
  x.mul(5).sum().backward();
  assertClose(x.grad!, [5, 5]);
}));

test('backward twice through one graph is refused with libtorch\'s message', () => tidy(() => {
  const x = ones([2]);
  x.requiresGrad = true;
  const loss = x.square().sum();
  loss.backward();
  assert.throws(() => loss.backward(), /backward through the graph a second time/);
}));

test('noGrad builds no graph; grad mode comes back afterwards, even after a throw', () =>
  tidy(() => {
    const x = ones([2]);
    x.requiresGrad = true;
    const y = noGrad(() => x.mul(2).add(1));
    assert.equal(y.requiresGrad, false);
    assert.throws(() => y.sum().backward(), /does not require grad/);
    assert.throws(() => noGrad(() => { throw new Error('inside'); }), /inside/);
    assert.equal(x.mul(2).requiresGrad, true);
    assert.equal(noGrad(() => noGrad(() => x.mul(2)).requiresGrad), false);
    assert.equal(x.mul(2).requiresGrad, true);
  }));

test('detach cuts the graph: no gradient flows through a detached branch', () => tidy(() => {
  const x = tensor([2, 3]);
  x.requiresGrad = true;
  const d = x.detach();
  assert.equal(d.requiresGrad, false);
  x.mul(d).sum().backward(); // d/dx (x * const) = const
  assertClose(x.grad!, [2, 3]);
}));

test('a gradient read back is a copy of the values at that moment', () => tidy(() => {
  const x = tensor([1]);
  x.requiresGrad = true;
  x.mul(2).sum().backward();
  const first = x.grad!.toArray();
  x.mul(2).sum().backward();
  assert.deepEqual(first, [2]);
  assert.deepEqual(x.grad!.toArray(), [4]);
}));
