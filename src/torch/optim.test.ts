// Adam against PyTorch's update rule worked by hand, and a saved state that resumes exactly.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { Adam } from './optim';
import { decodeSafetensors, encodeSafetensors } from './safetensors';
import { Generator, Tensor, cat, randn, tensor, tidy } from './tensor';
import { assertClose } from './testing';

const PYTHON = '/usr/bin/python3';

/** PyTorch 1.13's single-tensor Adam, in plain numbers, for `steps` steps on `grad(p)`. */
function referenceAdam(p0: number[], grad: (p: number[]) => number[], steps: number,
  lr: number, [beta1, beta2]: [number, number], eps = 1e-8): number[][] {
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const trajectory: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    const g = grad(p);
    const stepSize = lr / (1 - beta1 ** t);
    const correction2Sqrt = Math.sqrt(1 - beta2 ** t);
    for (let i = 0; i < p.length; i++) {
      m[i] = m[i] * beta1 + g[i] * (1 - beta1);
      v[i] = v[i] * beta2 + g[i] * g[i] * (1 - beta2);
      p[i] -= stepSize * m[i] / (Math.sqrt(v[i]) / correction2Sqrt + eps);
    }
    trajectory.push([...p]);
  }
  return trajectory;
}

// loss = sum(c * p^2 + d * p), so grad = 2 c p + d changes from step to step
const C = [0.5, 2, 1.5];
const D = [1, -3, 0.25];
const lossOf = (p: Tensor): Tensor => p.square().mul(tensor(Float64Array.from(C))).sum()
  .add(p.mul(tensor(Float64Array.from(D))).sum());
const gradOf = (p: number[]): number[] => p.map((x, i) => 2 * C[i] * x + D[i]);

function stepOnce(optimiser: Adam, p: Tensor): void {
  tidy(() => {
    optimiser.zeroGrad();
    lossOf(p).backward();
    optimiser.step();
  });
}

test('one step moves each parameter by lr * g / (|g| + eps), by hand', () => tidy(() => {
  const p = tensor([1, -2]);
  p.requiresGrad = true;
  const adam = new Adam([p], { lr: 0.1 });
  p.mul(tensor([3, -4])).sum().backward();
  adam.step();
  assertClose(p, [0.9, -1.9], { atol: 1e-7 });
  assert.equal(adam.steps, 1);
  adam.dispose();
}));

test('several steps follow the formula, float64 and float32, betas (0.5, 0.999)', () => {
  const p0 = [0.3, -1.2, 2];
  const want = referenceAdam(p0, gradOf, 6, 0.05, [0.5, 0.999]);
  for (const dtype of ['float64', 'float32'] as const) tidy(() => {
    const p = tensor(Float64Array.from(p0), [3], dtype);
    p.requiresGrad = true;
    const adam = new Adam([p], { lr: 0.05, betas: [0.5, 0.999] });
    for (let t = 0; t < 6; t++) {
      stepOnce(adam, p);
      const atol = dtype === 'float64' ? 1e-13 : 1e-6;
      assertClose(p, want[t], { atol, what: `${dtype} step ${t + 1}` });
    }
    adam.dispose();
  });
});

test('a non-contiguous parameter (ATen ops) moves as a contiguous one (one fused pass)', () => {
  const run = (contiguous: boolean): number[] => tidy(() => {
    const g = new Generator(3);
    const start = randn([1003, 7], g);
    const grads = [randn([1003, 7], g), randn([1003, 7], g)];
    // A column slice of a wider tensor is a view with strides the fused kernel does not take.
    const p = contiguous ? start.clone() : cat([start, start], 1).narrow(1, 0, 7).keep();
    p.requiresGrad = true;
    const adam = new Adam([p], { lr: 0.01, betas: [0.5, 0.999] });
    for (let t = 0; t < 5; t++) {
      tidy(() => {
        adam.zeroGrad();
        p.mul(grads[t % 2]).sum().backward();
        adam.step();
      });
    }
    adam.dispose();
    const values = p.toArray();
    p.dispose();
    return values;
  });
  const fused = run(true);
  assertClose(run(false), fused, { atol: 1e-6, rtol: 1e-6 }); // FMA rounding may differ by an ulp
});

test('moment estimates have the parameter\'s dtype', () => tidy(() => {
  const p = tensor(Float64Array.from([1]), [1]);
  const adam = new Adam([p], { lr: 0.1 });
  for (const t of adam.stateDict().tensors.values()) assert.equal(t.dtype, 'float64');
  adam.dispose();
}));

test('parameters without a gradient are left alone; zeroGrad clears gradients', () => tidy(() => {
  const used = tensor([1]);
  const unused = tensor([5]);
  used.requiresGrad = true;
  unused.requiresGrad = true;
  const adam = new Adam([used, unused], { lr: 0.1 });
  used.mul(2).sum().backward();
  adam.step();
  assertClose(unused, [5]);
  assertClose(used, [0.9], { atol: 1e-6 });
  adam.zeroGrad();
  assert.equal(used.grad, null);
  adam.dispose();
}));

test('a state saved through safetensors resumes exactly like an uninterrupted run', () => {
  const p0 = Float64Array.from([0.3, -1.2, 2]);
  const run = (interruptAt: number | null, restoreMoments = true): number[] => {
    let p = tensor(p0, [3]).keep();
    p.requiresGrad = true;
    let adam = new Adam([p], { lr: 0.01, betas: [0.5, 0.999] });
    for (let t = 0; t < 10; t++) {
      if (t === interruptAt) {
        // Save parameters and optimiser, drop both, then restore into fresh ones.
        const state = adam.stateDict();
        const file = encodeSafetensors(new Map([['p', p], ...state.tensors]),
          { step: String(state.step) });
        adam.dispose();
        p.dispose();
        const { tensors, metadata } = decodeSafetensors(file, 'resume.safetensors');
        p = tensors.get('p')!.keep();
        p.requiresGrad = true;
        adam = new Adam([p], { lr: 0.01, betas: [0.5, 0.999] });
        tensors.delete('p');
        if (restoreMoments) adam.loadStateDict({ step: Number(metadata.step), tensors });
        for (const t of tensors.values()) t.dispose();
      }
      stepOnce(adam, p);
    }
    const values = Array.from(p.toFloat64Array());
    adam.dispose();
    p.dispose();
    return values;
  };
  const uninterrupted = run(null);
  assert.deepEqual(run(4), uninterrupted);
  assert.deepEqual(run(1), uninterrupted);
  assert.notDeepEqual(run(4, false), uninterrupted); // a fresh optimiser would show
});

test('loadStateDict names a missing or misshapen moment', () => tidy(() => {
  const p = tensor([1, 2]);
  const adam = new Adam([p], { lr: 0.1 });
  assert.throws(() => adam.loadStateDict({ step: 1, tensors: new Map() }, 'ckpt'),
    /ckpt: missing 0.exp_avg/);
  const wrong = new Map([['0.exp_avg', tensor([1, 2, 3])], ['0.exp_avg_sq', tensor([1, 2, 3])]]);
  assert.throws(() => adam.loadStateDict({ step: 1, tensors: wrong }, 'ckpt'),
    /0.exp_avg has shape 3, expected 2/);
  adam.dispose();
}));

const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

test('matches torch.optim.Adam in Python step for step', { skip: !hasTorch && 'no python3-torch' },
  () => {
    const script = `
import json, torch
p = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64, requires_grad=True)
c = torch.tensor(${JSON.stringify(C)}, dtype=torch.float64)
d = torch.tensor(${JSON.stringify(D)}, dtype=torch.float64)
opt = torch.optim.Adam([p], lr=0.05, betas=(0.5, 0.999))
out = []
for _ in range(8):
    opt.zero_grad()
    (c * p * p + d * p).sum().backward()
    opt.step()
    out.append(p.tolist())
print(json.dumps(out))`;
    const python = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
    assert.equal(python.status, 0, python.stderr);
    const want = JSON.parse(python.stdout) as number[][];
    tidy(() => {
      const p = tensor(Float64Array.from([0.3, -1.2, 2]), [3]);
      p.requiresGrad = true;
      const adam = new Adam([p], { lr: 0.05, betas: [0.5, 0.999] });
      for (let t = 0; t < 8; t++) {
        stepOnce(adam, p);
        assertClose(p, want[t], { atol: 1e-14, what: `step ${t + 1}` });
      }
      adam.dispose();
    });
  });
