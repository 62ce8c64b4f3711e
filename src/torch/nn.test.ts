// Layers: shapes, initialisation bounds, padding, train/eval behaviour and state dicts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as F from './functional';
import * as nn from './nn';
import { Generator, noGrad, randn, tensor, tidy } from './tensor';
import { assertClose } from './testing';

test('Linear and Conv2d start uniform in [-1/sqrt(fanIn), 1/sqrt(fanIn)] as in PyTorch', () => {
  const g = new Generator(0);
  for (const [layer, fanIn] of [
    [new nn.Linear(100, 50, { generator: g }), 100],
    [new nn.Conv2d(8, 16, 4, { generator: g }), 8 * 16],
    [new nn.ConvTranspose2d(8, 16, 4, { generator: g }), 16 * 16],
  ] as [nn.Module, number][]) {
    const bound = 1 / Math.sqrt(fanIn);
    for (const [name, p] of layer.namedParameters()) {
      const values = p.toArray();
      const max = Math.max(...values.map(Math.abs));
      assert.ok(max <= bound, `${name}: max |w| ${max}, bound ${bound}`);
      if (name === 'weight') assert.ok(max > 0.9 * bound, `${name}: max |w| ${max} is too small`);
      assert.equal(p.requiresGrad, true);
    }
    layer.dispose();
  }
});

test('Conv2d with asymmetric padding equals pad2d then conv2d; symmetric runs inside', () =>
  tidy(() => {
    const g = new Generator(1);
    const x = randn([2, 3, 8, 8], g);
    for (const padding of [[1, 2, 1, 2], [1, 1, 1, 1], [0, 0, 0, 0]] as const) {
      const conv = new nn.Conv2d(3, 5, 4, { stride: 1, padding: [...padding], generator: g });
      const want = F.conv2d(F.pad2d(x, [...padding]), conv.weight, conv.bias);
      const got = conv.forward(x);
      assert.deepEqual(got.shape, want.shape);
      assertClose(got, want.toArray(), { atol: 1e-5, what: `padding ${padding}` });
      conv.dispose();
    }
  }));

test('the paper\'s sizes: SAME conv keeps 8x8, stride-2 conv halves, transposed doubles', () =>
  tidy(() => {
    const x = randn([1, 4, 8, 8]);
    const same = new nn.Conv2d(4, 4, 4, { padding: [1, 2, 1, 2] });
    const down = new nn.Conv2d(4, 4, 4, { stride: 2, padding: [1, 1, 1, 1] });
    const up = new nn.ConvTranspose2d(4, 4, 4, { stride: 2, padding: 1 });
    assert.deepEqual(same.forward(x).shape, [1, 4, 8, 8]);
    assert.deepEqual(down.forward(x).shape, [1, 4, 4, 4]);
    assert.deepEqual(up.forward(x).shape, [1, 4, 16, 16]);
    for (const m of [same, down, up]) m.dispose();
  }));

test('BatchNorm updates running statistics in train mode and uses them in eval mode', () => {
  const bn = new nn.BatchNorm(2, 0.5);
  tidy(() => {
    const x = tensor([1, 10, 3, 30], [2, 2]);
    bn.forward(x);
    assertClose(bn.runningMean, [1, 10]); // 0.5 * 0 + 0.5 * mean
    bn.eval();
    assert.equal(bn.isTraining, false);
    const y = noGrad(() => bn.forward(x));
    const rv = bn.runningVar.toArray();
    assertClose(y, [0, 0, 2 / Math.sqrt(rv[0] + 1e-5), 20 / Math.sqrt(rv[1] + 1e-5)],
      { rtol: 1e-4 });
    assertClose(bn.runningMean, [1, 10]); // unchanged in eval
  });
  bn.dispose();
});

test('Sequential: train()/eval() reach every child; state dict names are dotted', () => {
  const model = new nn.Sequential([
    new nn.Linear(3, 4), new nn.BatchNorm(4), new nn.Activation('relu'), new nn.Reshape([2, 2]),
  ]);
  assert.deepEqual([...model.stateDict().keys()], [
    '0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var']);
  model.eval();
  assert.equal(model.layers[1].isTraining, false);
  model.train();
  assert.equal(model.layers[1].isTraining, true);
  tidy(() => assert.deepEqual(model.forward(randn([5, 3])).shape, [5, 2, 2]));
  model.dispose();
});

test('loadStateDict copies values and names what is missing, misshapen or extra', () => {
  const a = new nn.Linear(2, 2, { generator: new Generator(1) });
  const b = new nn.Linear(2, 2, { generator: new Generator(2) });
  b.loadStateDict(a.stateDict());
  assert.deepEqual(b.weight.toArray(), a.weight.toArray());
  tidy(() => {
    assert.throws(() => b.loadStateDict(new Map([['weight', a.weight]]), 'gen'),
      /gen: missing tensor bias/);
    assert.throws(() => b.loadStateDict(new Map([['weight', randn([3, 2])], ['bias', a.bias!]]),
      'gen'), /gen: weight has shape 3x2, expected 2x2/);
    assert.throws(() => b.loadStateDict(new Map([...a.stateDict(), ['extra', a.bias!]]), 'gen'),
      /gen: unexpected tensors extra/);
  });
  a.dispose();
  b.dispose();
});

test('activations: lrelu has slope 0.1 by default (the paper), identity copies', () => tidy(() => {
  const x = tensor([-1, 2]);
  assertClose(new nn.Activation('lrelu').forward(x), [-0.1, 2]);
  assertClose(new nn.Activation('sigmoid').forward(tensor([0])), [0.5]);
  const same = new nn.Activation('identity').forward(x);
  assert.notEqual(same, x);
  assertClose(same, [-1, 2]);
}));
