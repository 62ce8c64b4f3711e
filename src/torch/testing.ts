/**
 * Checks for the engine's own tests: closeness of values, and autograd against central finite
 * differences (PyTorch's `gradcheck`, in float64).
 */
import { Tensor, noGrad, tensor, tidy } from './tensor';

/** Throws naming the first element of `actual` farther than `atol + rtol * |expected|`. */
export function assertClose(actual: Tensor | ArrayLike<number>, expected: ArrayLike<number>,
  options: { atol?: number; rtol?: number; what?: string } = {}): void {
  const { atol = 1e-5, rtol = 1e-5, what = 'values' } = options;
  const values = actual instanceof Tensor ? actual.toFloat64Array() : actual;
  if (values.length !== expected.length) {
    throw new Error(`${what}: ${values.length} values, expected ${expected.length}`);
  }
  for (let i = 0; i < values.length; i++) {
    const error = Math.abs(values[i] - expected[i]);
    if (!(error <= atol + rtol * Math.abs(expected[i]))) {
      throw new Error(`${what}[${i}] = ${values[i]}, expected ${expected[i]} ` +
        `(all: [${Array.from(values).join(', ')}] vs [${Array.from(expected).join(', ')}])`);
    }
  }
}

/** A float64 input to `gradcheck`: its values and shape. */
export interface GradInput {
  data: ArrayLike<number>;
  shape: number[];
}

/** Distinct float64 values in [-1, 1] from a fixed sequence, for test inputs. */
export function testValues(count: number, seed = 1): number[] {
  let state = seed >>> 0 || 1;
  return Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32) * 2 - 1;
  });
}

/**
 * Compares autograd's gradient of `sum(fn(...inputs) * weights)` (fixed weights, so every
 * output element counts differently) with central finite differences of step `h`, for every
 * element of every input. Inputs and outputs are float64. Throws naming the worst element.
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: GradInput[],
  options: { h?: number; atol?: number; rtol?: number; what?: string } = {}): void {
  const { h = 1e-6, atol = 1e-6, rtol = 1e-4, what = 'gradcheck' } = options;
  const datas = inputs.map((input) => Float64Array.from(input.data));
  const outputSize = tidy(() => noGrad(() => checkedOutput(fn, datas, inputs, what).size));
  const weights = testValues(outputSize, 7).map((v) => (v < 0 ? v - 0.5 : v + 0.5));

  const loss = (values: Float64Array[]): number => tidy(() => noGrad(() => {
    const out = checkedOutput(fn, values, inputs, what);
    return out.mul(tensor(Float64Array.from(weights), out.shape)).sum().item();
  }));

  const analytic = tidy(() => {
    const leaves = datas.map((d, i) => tensor(d, inputs[i].shape));
    for (const leaf of leaves) leaf.requiresGrad = true;
    const out = checkedOutput(fn, datas, inputs, what, leaves);
    out.mul(tensor(Float64Array.from(weights), out.shape)).sum().backward();
    return leaves.map((leaf, i) =>
      leaf.grad?.toFloat64Array() ?? new Float64Array(datas[i].length));
  });

  datas.forEach((data, i) => {
    for (let j = 0; j < data.length; j++) {
      const original = data[j];
      data[j] = original + h;
      const plus = loss(datas);
      data[j] = original - h;
      const minus = loss(datas);
      data[j] = original;
      const numeric = (plus - minus) / (2 * h);
      const error = Math.abs(analytic[i][j] - numeric);
      if (!(error <= atol + rtol * Math.abs(numeric))) {
        throw new Error(`${what}: d/d input ${i}[${j}] is ${analytic[i][j]} by autograd, ` +
          `${numeric} by finite differences`);
      }
    }
  });
}

function checkedOutput(fn: (...inputs: Tensor[]) => Tensor, datas: Float64Array[],
  inputs: GradInput[], what: string, leaves?: Tensor[]): Tensor {
  const tensors = leaves ?? datas.map((d, i) => tensor(d, inputs[i].shape));
  const out = fn(...tensors);
  if (out.dtype !== 'float64') throw new Error(`${what}: output is ${out.dtype}, not float64`);
  return out;
}
