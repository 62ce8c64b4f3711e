// Every op against values worked out by hand on tiny inputs, and its gradient against central
// finite differences in float64.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as F from './functional';
import { Tensor, cat, memory, ones, tensor, tidy, zeros } from './tensor';
import { assertClose, gradcheck, testValues } from './testing';

const f64 = (data: number[], shape: number[]): Tensor => tensor(Float64Array.from(data), shape);
const input = (shape: number[], seed = 1) => ({
  data: testValues(shape.reduce((a, b) => a * b, 1), seed), shape,
});
const LN2 = Math.log(2);
const LN3 = Math.log(3);

/** Direct-loop convolution, [batch, in, h, w] * [out, in, k, k] with stride and padding. */
function naiveConv2d(x: number[], xs: number[], w: number[], ws: number[], bias: number[],
  stride: number, pad: number): { data: number[]; shape: number[] } {
  const [n, cin, h, wd] = xs;
  const [cout, , kh, kw] = ws;
  const oh = Math.floor((h + 2 * pad - kh) / stride) + 1;
  const ow = Math.floor((wd + 2 * pad - kw) / stride) + 1;
  const out: number[] = [];
  for (let b = 0; b < n; b++) for (let o = 0; o < cout; o++) {
    for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
      let acc = bias[o];
      for (let c = 0; c < cin; c++) for (let u = 0; u < kh; u++) for (let v = 0; v < kw; v++) {
        const y = i * stride - pad + u;
        const z = j * stride - pad + v;
        if (y < 0 || z < 0 || y >= h || z >= wd) continue;
        acc += x[((b * cin + c) * h + y) * wd + z] * w[((o * cin + c) * kh + u) * kw + v];
      }
      out.push(acc);
    }
  }
  return { data: out, shape: [n, cout, oh, ow] };
}

/** Direct-loop transposed convolution: every input pixel scatters its kernel into the output. */
function naiveConvTranspose2d(x: number[], xs: number[], w: number[], ws: number[],
  bias: number[], stride: number, pad: number, outPad: number):
  { data: number[]; shape: number[] } {
  const [n, cin, h, wd] = xs;
  const [, cout, kh, kw] = ws;
  const oh = (h - 1) * stride - 2 * pad + kh + outPad;
  const ow = (wd - 1) * stride - 2 * pad + kw + outPad;
  const out = new Array<number>(n * cout * oh * ow).fill(0);
  for (let b = 0; b < n; b++) for (let o = 0; o < cout; o++) {
    for (let p = 0; p < oh * ow; p++) out[(b * cout + o) * oh * ow + p] = bias[o];
  }
  for (let b = 0; b < n; b++) for (let c = 0; c < cin; c++) for (let i = 0; i < h; i++) {
    for (let j = 0; j < wd; j++) for (let o = 0; o < cout; o++) {
      for (let u = 0; u < kh; u++) for (let v = 0; v < kw; v++) {
        const y = i * stride - pad + u;
        const z = j * stride - pad + v;
        if (y < 0 || z < 0 || y >= oh || z >= ow) continue;
        out[((b * cout + o) * oh + y) * ow + z] +=
          x[((b * cin + c) * h + i) * wd + j] * w[((c * cout + o) * kh + u) * kw + v];
      }
    }
  }
  return { data: out, shape: [n, cout, oh, ow] };
}

describe('linear', () => {
  test('x W^T + b, by hand, and its gradients by hand', () => tidy(() => {
    const x = tensor([1, 2, 3, 4], [2, 2]);
    const w = tensor([1, 0, 0, 1, 1, 1], [3, 2]);
    const b = tensor([0.5, -1, 2]);
    for (const t of [x, w, b]) t.requiresGrad = true;
    const y = F.linear(x, w, b);
    assert.deepEqual(y.shape, [2, 3]);
    assertClose(y, [1.5, 1, 5, 3.5, 3, 9]);
    y.sum().backward();
    assertClose(w.grad!, [4, 6, 4, 6, 4, 6]); // column sums of x, for every output row
    assertClose(b.grad!, [2, 2, 2]);
    assertClose(x.grad!, [2, 2, 2, 2]); // column sums of W
  }));

  test('without bias; gradients match finite differences', () => {
    tidy(() => assertClose(F.linear(tensor([1, 2], [1, 2]), tensor([3, 4], [1, 2])), [11]));
    gradcheck((x, w, b) => F.linear(x, w, b), [input([3, 4], 1), input([2, 4], 2), input([2], 3)]);
    gradcheck((x, w) => F.linear(x, w), [input([3, 4], 4), input([5, 4], 5)]);
  });
});

describe('conv2d', () => {
  test('a 2x2 diagonal kernel, stride 1, by hand', () => tidy(() => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const w = tensor([1, 0, 0, 1], [1, 1, 2, 2]);
    const y = F.conv2d(x, w);
    assert.deepEqual(y.shape, [1, 1, 2, 2]);
    assertClose(y, [6, 8, 12, 14]); // x[i][j] + x[i+1][j+1]
  }));

  test('stride 2 with padding 1, by hand', () => tidy(() => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const w = tensor([1, 0, 0, 1], [1, 1, 2, 2]);
    const y = F.conv2d(x, w, tensor([0.5]), { stride: 2, padding: 1 });
    assert.deepEqual(y.shape, [1, 1, 2, 2]);
    assertClose(y, [1.5, 3.5, 7.5, 14.5]);
  }));

  test('several channels against a direct loop, strides 1 and 2, paddings 0 to 2', () => {
    for (const [stride, pad] of [[1, 0], [1, 1], [2, 0], [2, 1], [2, 2]]) tidy(() => {
      const xs = [2, 3, 5, 6];
      const ws = [4, 3, 3, 3];
      const x = testValues(2 * 3 * 5 * 6, 11);
      const w = testValues(4 * 3 * 3 * 3, 12);
      const bias = [0.1, -0.2, 0.3, 0];
      const want = naiveConv2d(x, xs, w, ws, bias, stride, pad);
      const got = F.conv2d(f64(x, xs), f64(w, ws), f64(bias, [4]), { stride, padding: pad });
      assert.deepEqual(got.shape, want.shape);
      assertClose(got, want.data, { atol: 1e-12, what: `stride ${stride} padding ${pad}` });
    });
  });

  test('gradients match finite differences (stride 1 and 2, padding)', () => {
    for (const [stride, padding] of [[1, 0], [1, 1], [2, 1], [2, 0]]) {
      gradcheck((x, w, b) => F.conv2d(x, w, b, { stride, padding }),
        [input([2, 2, 5, 5], 1), input([3, 2, 3, 3], 2), input([3], 3)],
        { what: `conv2d stride ${stride} padding ${padding}` });
    }
  });

  test('accepts [height, width] stride and padding pairs', () => tidy(() => {
    const y = F.conv2d(zeros([1, 1, 5, 4]), zeros([1, 1, 3, 3]), null,
      { stride: [2, 1], padding: [1, 0] });
    assert.deepEqual(y.shape, [1, 1, 3, 2]);
  }));
});

describe('convTranspose2d', () => {
  test('stride 2 scatters each pixel into a 2x2 block, by hand; output padding adds a row', () =>
    tidy(() => {
      const x = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
      const w = ones([1, 1, 2, 2]);
      const y = F.convTranspose2d(x, w, null, { stride: 2 });
      assert.deepEqual(y.shape, [1, 1, 4, 4]);
      assertClose(y, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
      const padded = F.convTranspose2d(x, w, tensor([0.5]), { stride: 2, outputPadding: 1 });
      assert.deepEqual(padded.shape, [1, 1, 5, 5]);
      assertClose(padded, [
        1.5, 1.5, 2.5, 2.5, 0.5,
        1.5, 1.5, 2.5, 2.5, 0.5,
        3.5, 3.5, 4.5, 4.5, 0.5,
        3.5, 3.5, 4.5, 4.5, 0.5,
        0.5, 0.5, 0.5, 0.5, 0.5,
      ]);
    }));

  test('against a direct loop: size = (in - 1) * stride - 2 * padding + kernel + outputPadding',
    () => {
      const cases = [[1, 0, 0, 3], [2, 1, 0, 4], [2, 1, 1, 3], [2, 0, 1, 2]];
      for (const [stride, pad, outPad, k] of cases) {
        tidy(() => {
          const xs = [2, 3, 3, 4];
          const ws = [3, 2, k, k];
          const x = testValues(2 * 3 * 3 * 4, 21);
          const w = testValues(3 * 2 * k * k, 22);
          const want = naiveConvTranspose2d(x, xs, w, ws, [0.25, -0.5], stride, pad, outPad);
          const got = F.convTranspose2d(f64(x, xs), f64(w, ws), f64([0.25, -0.5], [2]),
            { stride, padding: pad, outputPadding: outPad });
          assert.deepEqual(got.shape, want.shape);
          const what = `stride ${stride} pad ${pad} out ${outPad}`;
          assertClose(got, want.data, { atol: 1e-12, what });
        });
      }
    });

  test('gradients match finite differences, with output padding', () => {
    gradcheck((x, w, b) => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }),
      [input([2, 2, 3, 3], 1), input([2, 3, 3, 3], 2), input([3], 3)]);
    gradcheck((x, w) => F.convTranspose2d(x, w, null, { stride: 2, padding: 1 }),
      [input([1, 2, 3, 3], 4), input([2, 1, 4, 4], 5)]);
  });
});

describe('pad2d', () => {
  test('[left, right, top, bottom] by hand, with a fill value', () => tidy(() => {
    const x = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
    const y = F.pad2d(x, [1, 0, 0, 2]);
    assert.deepEqual(y.shape, [1, 1, 4, 3]);
    assertClose(y, [0, 1, 2, 0, 3, 4, 0, 0, 0, 0, 0, 0]);
    assertClose(F.pad2d(x, [0, 1, 1, 0], -1), [-1, -1, -1, 1, 2, -1, 3, 4, -1]);
  }));

  test('gradient matches finite differences', () => {
    gradcheck((x) => F.pad2d(x, [1, 2, 2, 1]), [input([2, 1, 2, 3])]);
  });
});

describe('batchNorm', () => {
  // Feature 0 is [1, 2, 3, 4]: mean 2.5, biased variance 1.25, unbiased 5/3.
  // Feature 1 is [2, 4, 2, 4]: mean 3, biased variance 1, unbiased 4/3.
  const batch = [1, 2, 2, 4, 3, 2, 4, 4];

  test('training: batch statistics, and running statistics updated with momentum', () =>
    tidy(() => {
      const runningMean = tensor([0, 10]);
      const runningVar = tensor([1, 2]);
      const y = F.batchNorm(tensor(batch, [4, 2]), {
        weight: tensor([2, 1]), bias: tensor([0, 1]), runningMean, runningVar,
        training: true, momentum: 0.1, eps: 0,
      });
      const s = Math.sqrt(1.25);
      assertClose(y, [2 * -1.5 / s, 0, 2 * -0.5 / s, 2, 2 * 0.5 / s, 0, 2 * 1.5 / s, 2]);
      assertClose(runningMean, [0.9 * 0 + 0.1 * 2.5, 0.9 * 10 + 0.1 * 3]);
      assertClose(runningVar, [0.9 * 1 + 0.1 * (5 / 3), 0.9 * 2 + 0.1 * (4 / 3)]);
    }));

  test('evaluation: running statistics, which stay unchanged', () => tidy(() => {
    const runningMean = tensor([1, 2]);
    const runningVar = tensor([4, 0.25]);
    const y = F.batchNorm(tensor(batch, [4, 2]), {
      weight: tensor([1, 3]), bias: tensor([0.5, 0]), runningMean, runningVar,
      training: false, eps: 0,
    });
    assertClose(y, [0.5, 0, 1, 12, 1.5, 0, 2, 12]); // (x - mean) / std * weight + bias
    assertClose(runningMean, [1, 2]);
    assertClose(runningVar, [4, 0.25]);
  }));

  test('images: statistics per channel over batch, height and width', () => tidy(() => {
    // channel 0 holds 0..7, channel 1 holds 10 everywhere
    const x = tensor([0, 1, 2, 3, 10, 10, 10, 10, 4, 5, 6, 7, 10, 10, 10, 10], [2, 2, 2, 2]);
    const runningMean = zeros([2]);
    const runningVar = ones([2]);
    const y = F.batchNorm(x, { runningMean, runningVar, training: true, eps: 0 });
    const s = Math.sqrt(5.25); // biased variance of 0..7
    assertClose(y.narrow(1, 0, 1), [0, 1, 2, 3, 4, 5, 6, 7].map((v) => (v - 3.5) / s));
    assertClose(runningMean, [0.35, 1]);
    assertClose(runningVar, [0.9 + 0.1 * 6, 0.9]); // unbiased variance of 0..7 is 6
  }));

  test('gradients match finite differences, training and evaluation', () => {
    gradcheck((x, w, b) => F.batchNorm(x, { weight: w, bias: b, training: true }),
      [input([4, 3], 1), input([3], 2), input([3], 3)], { what: 'train [batch, features]' });
    gradcheck((x, w, b) => F.batchNorm(x, { weight: w, bias: b, training: true }),
      [input([2, 2, 2, 3], 4), input([2], 5), input([2], 6)], { what: 'train images' });
    gradcheck((x, w, b) => F.batchNorm(x, {
      weight: w, bias: b, training: false,
      runningMean: f64([0.1, -0.2], [2]), runningVar: f64([0.5, 2], [2]),
    }), [input([3, 2], 7), input([2], 8), input([2], 9)], { what: 'eval' });
  });
});

describe('activations', () => {
  test('relu, leakyRelu, sigmoid, tanh by hand', () => tidy(() => {
    assertClose(tensor([-1, 0, 0.5]).relu(), [0, 0, 0.5]);
    assertClose(tensor([-2, 3]).leakyRelu(0.1), [-0.2, 3]);
    assertClose(tensor([-2, 3]).leakyRelu(), [-0.02, 3]);
    assertClose(tensor([0, LN3]).sigmoid(), [0.5, 0.75]);
    assertClose(tensor([0, LN2]).tanh(), [0, 0.6]); // (2 - 1/2) / (2 + 1/2)
  }));

  test('gradients match finite differences (inputs away from the kinks)', () => {
    const away = { data: [-1.5, -0.3, 0.2, 0.7, 1.9, -0.8], shape: [2, 3] };
    gradcheck((x) => x.relu(), [away], { what: 'relu' });
    gradcheck((x) => x.leakyRelu(0.1), [away], { what: 'leakyRelu' });
    gradcheck((x) => x.sigmoid(), [away], { what: 'sigmoid' });
    gradcheck((x) => x.tanh(), [away], { what: 'tanh' });
  });

  test('softmax and logSoftmax by hand, along either dimension', () => tidy(() => {
    const x = tensor([0, LN2, LN3], [1, 3]);
    assertClose(x.softmax(1), [1 / 6, 2 / 6, 3 / 6]);
    assertClose(x.logSoftmax(1), [1 / 6, 2 / 6, 3 / 6].map(Math.log));
    assertClose(tensor([0, 0, LN3, 0], [2, 2]).softmax(0), [0.25, 0.5, 0.75, 0.5]);
  }));

  test('softmax and logSoftmax gradients match finite differences', () => {
    gradcheck((x) => x.softmax(1), [input([3, 4])], { what: 'softmax' });
    gradcheck((x) => x.logSoftmax(1), [input([3, 4])], { what: 'logSoftmax' });
    gradcheck((x) => x.logSoftmax(0), [input([3, 4])], { what: 'logSoftmax dim 0' });
  });
});

describe('losses', () => {
  test('bceWithLogits by hand, every reduction', () => tidy(() => {
    const logits = tensor([0, LN3, 0]);
    const target = tensor([1, 0, 0.5]);
    const each = [LN2, Math.log(4), LN2]; // -log 0.5, -log(1 - 0.75), entropy of 0.5
    assertClose(F.bceWithLogits(logits, target, 'none'), each);
    assertClose(F.bceWithLogits(logits, target, 'sum'), [each[0] + each[1] + each[2]]);
    assertClose(F.bceWithLogits(logits, target), [(each[0] + each[1] + each[2]) / 3]);
    assertClose(F.bceWithLogits(tensor([-100, 100]), tensor([0, 1]), 'sum'), [0]); // stable
  }));

  test('crossEntropy by hand, every reduction', () => tidy(() => {
    const logits = tensor([0, LN2, LN3, LN3, 0, 0], [2, 3]);
    const target = tensor(new Int32Array([2, 0]), [2], 'int64');
    const each = [LN2, Math.log(5 / 3)]; // -log(3/6), -log(3/5)
    assertClose(F.crossEntropy(logits, target, 'none'), each);
    assertClose(F.crossEntropy(logits, target, 'sum'), [each[0] + each[1]]);
    assertClose(F.crossEntropy(logits, target), [(each[0] + each[1]) / 2]);
  }));

  test('gaussianLogLikelihood by hand, with and without logStd', () => tidy(() => {
    const half = 0.5 * Math.log(2 * Math.PI);
    const x = tensor([1, -1]);
    const mean = tensor([0, 1]);
    assertClose(F.gaussianLogLikelihood(x, mean), [-half - 0.5, -half - 2]);
    const logStd = tensor([LN2, 0]);
    assertClose(F.gaussianLogLikelihood(x, mean, logStd), [-half - LN2 - 1 / 8, -half - 2]);
  }));

  test('loss gradients match finite differences', () => {
    gradcheck((l, t) => F.bceWithLogits(l, t), [input([2, 3], 1),
      { data: [0, 1, 0.3, 1, 0, 0.8], shape: [2, 3] }], { what: 'bceWithLogits' });
    gradcheck((l, t) => F.bceWithLogits(l, t, 'none'), [input([4], 2), input([4], 3)],
      { what: 'bceWithLogits none' });
    const target = tensor(new Int32Array([2, 0, 1]), [3], 'int64');
    gradcheck((l) => F.crossEntropy(l, target), [input([3, 4], 4)], { what: 'crossEntropy' });
    gradcheck((l) => F.crossEntropy(l, target, 'sum'), [input([3, 4], 5)], { what: 'ce sum' });
    target.dispose();
    gradcheck((x, m) => F.gaussianLogLikelihood(x, m), [input([5], 6), input([5], 7)],
      { what: 'gaussian' });
    gradcheck((x, m, s) => F.gaussianLogLikelihood(x, m, s),
      [input([5], 8), input([5], 9), input([5], 10)], { what: 'gaussian with logStd' });
  });

  test('gaussianLogLikelihood leaves only its result behind', () => {
    const [x, mean, logStd] = [ones([3]), zeros([3]), zeros([3])];
    for (const args of [[x, mean], [x, mean, logStd]] as [Tensor, Tensor, Tensor?][]) {
      const before = memory().numTensors;
      const out = F.gaussianLogLikelihood(...args);
      assert.equal(memory().numTensors - before, 1);
      out.dispose();
    }
    for (const t of [x, mean, logStd]) t.dispose();
  });
});

describe('reductions and shapes', () => {
  const m = () => tensor([1, 2, 3, 4, 5, 6], [2, 3]);

  test('sum and mean over all, one or several dims, keepdim', () => tidy(() => {
    assertClose(m().sum(), [21]);
    assertClose(m().sum(0), [5, 7, 9]);
    assertClose(m().sum(1), [6, 15]);
    assert.deepEqual(m().sum(1, true).shape, [2, 1]);
    assertClose(m().mean(), [3.5]);
    assertClose(m().mean(0), [2.5, 3.5, 4.5]);
    assertClose(m().mean([0, 1]), [3.5]);
    assert.deepEqual(m().mean([0, 1], true).shape, [1, 1]);
  }));

  test('sum and mean gradients match finite differences', () => {
    gradcheck((x) => x.sum(), [input([2, 3])]);
    gradcheck((x) => x.sum(1), [input([2, 3])]);
    gradcheck((x) => x.mean(0, true), [input([2, 3])]);
    gradcheck((x) => x.mean([0, 2]), [input([2, 3, 2])]);
  });

  test('cat, reshape, narrow, permute by hand', () => tidy(() => {
    assertClose(cat([m(), tensor([7, 8, 9], [1, 3])], 0), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const side = cat([m(), tensor([7, 8], [2, 1])], 1);
    assert.deepEqual(side.shape, [2, 4]);
    assertClose(side, [1, 2, 3, 7, 4, 5, 6, 8]);
    assert.deepEqual(m().reshape([3, 2]).shape, [3, 2]);
    assertClose(m().narrow(1, 1, 2), [2, 3, 5, 6]);
    assertClose(m().slice(0, 1, 2), [4, 5, 6]);
    const t = m().permute([1, 0]);
    assert.deepEqual(t.shape, [3, 2]);
    assertClose(t, [1, 4, 2, 5, 3, 6]);
  }));

  test('cat, reshape, narrow, permute gradients match finite differences', () => {
    gradcheck((a, b) => cat([a, b], 1), [input([2, 2], 1), input([2, 3], 2)]);
    gradcheck((x) => x.reshape([3, 2]).mul(x.reshape([3, 2])), [input([2, 3])]);
    gradcheck((x) => x.narrow(1, 1, 2), [input([2, 4])]);
    gradcheck((x) => x.permute([2, 0, 1]), [input([2, 3, 2])]);
  });

  test('matmul by hand, batched with broadcasting, and its gradients', () => {
    tidy(() => {
      assertClose(tensor([1, 2, 3, 4], [2, 2]).matmul(tensor([5, 6, 7, 8], [2, 2])),
        [19, 22, 43, 50]);
      const identities = tensor([1, 0, 0, 1, 2, 0, 0, 2], [2, 2, 2]); // I and 2I
      const batched = identities.matmul(tensor([1, 2, 3, 4], [2, 2]));
      assert.deepEqual(batched.shape, [2, 2, 2]);
      assertClose(batched, [1, 2, 3, 4, 2, 4, 6, 8]);
    });
    gradcheck((a, b) => a.matmul(b), [input([3, 4], 1), input([4, 2], 2)]);
    gradcheck((a, b) => a.matmul(b), [input([2, 3, 4], 3), input([4, 2], 4)]);
  });
});

describe('arithmetic', () => {
  test('add, sub, mul, div with scalars, by hand', () => tidy(() => {
    const x = tensor([1, 2, -3]);
    assertClose(x.add(1), [2, 3, -2]);
    assertClose(x.sub(1), [0, 1, -4]);
    assertClose(x.mul(-2), [-2, -4, 6]);
    assertClose(x.div(4), [0.25, 0.5, -0.75]);
  }));

  test('add, sub, mul, div with broadcasting, by hand', () => tidy(() => {
    const x = tensor([1, 2, 3, 4], [2, 2]);
    const row = tensor([10, 20]);
    const column = tensor([2, 4], [2, 1]);
    assertClose(x.add(row), [11, 22, 13, 24]);
    assertClose(x.sub(row), [-9, -18, -7, -16]);
    assertClose(x.mul(column), [2, 4, 12, 16]);
    assertClose(x.div(column), [0.5, 1, 0.75, 1]);
    const outer = tensor([1, 2]).mul(tensor([3, 4, 5], [3, 1]));
    assert.deepEqual(outer.shape, [3, 2]);
    assertClose(outer, [3, 6, 4, 8, 5, 10]);
  }));

  test('gradients match finite differences, broadcast operands included', () => {
    const pair = [input([2, 3], 1), input([3], 2)];
    gradcheck((a, b) => a.add(b), pair, { what: 'add' });
    gradcheck((a, b) => a.sub(b), pair, { what: 'sub' });
    gradcheck((a, b) => a.mul(b), pair, { what: 'mul' });
    gradcheck((a, b) => a.div(b.abs().add(0.5)), pair, { what: 'div' });
    gradcheck((a, b) => a.mul(b), [input([2, 1], 3), input([1, 3], 4)], { what: 'outer' });
    gradcheck((a) => a.add(2).sub(0.5).mul(3).div(4), [input([4], 5)], { what: 'scalars' });
  });

  test('exp, log, sqrt, square, pow, neg, abs, clamp: values and gradients', () => {
    tidy(() => {
      assertClose(tensor([0, LN2]).exp(), [1, 2]);
      assertClose(tensor([1, 4]).log(), [0, Math.log(4)]);
      assertClose(tensor([4, 9]).sqrt(), [2, 3]);
      assertClose(tensor([-3, 2]).square(), [9, 4]);
      assertClose(tensor([2, 3]).pow(3), [8, 27]);
      assertClose(tensor([-3, 2]).neg(), [3, -2]);
      assertClose(tensor([-3, 2]).abs(), [3, 2]);
      assertClose(tensor([-3, 0.5, 2]).clamp(-1, 1), [-1, 0.5, 1]);
    });
    const positive = { data: [0.3, 1.2, 2.5, 0.9], shape: [4] };
    gradcheck((x) => x.exp(), [positive], { what: 'exp' });
    gradcheck((x) => x.log(), [positive], { what: 'log' });
    gradcheck((x) => x.sqrt(), [positive], { what: 'sqrt' });
    gradcheck((x) => x.square(), [input([4])], { what: 'square' });
    gradcheck((x) => x.pow(3), [input([4])], { what: 'pow' });
    gradcheck((x) => x.neg().abs(), [{ data: [-1, 2, -0.5, 0.3], shape: [4] }], { what: 'abs' });
  });
});
