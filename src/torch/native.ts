/**
 * Loads the libtorch binding (build/Release/infogan_torch.node) once, with BLAS threads pinned.
 *
 * OpenBLAS reads OPENBLAS_NUM_THREADS when it is loaded, which happens when the binding is; its own
 * threads fighting libtorch's for the cores made training ten times slower on a 2-core machine, so
 * it is held at one thread before the binding loads (and again through openblas_set_num_threads).
 * OpenMP likewise reads OMP_WAIT_POLICY at load time. A user's own settings of either win.
 */
import * as path from 'node:path';

/** An opaque handle to a native at::Tensor. */
export type Handle = { readonly __tensor: unique symbol };
/** An opaque handle to a native random generator. */
export type GeneratorHandle = { readonly __generator: unique symbol };
export type Reduction = 'none' | 'mean' | 'sum';

/** The binding's functions; argument checking happens in TypeScript before these are called. */
export interface NativeBinding {
  fromTypedArray(data: ArrayBufferView, shape: number[], dtype?: string): Handle;
  toBytes(t: Handle): ArrayBuffer;
  shape(t: Handle): number[];
  dtype(t: Handle): string;
  item(t: Handle): number;
  dispose(t: Handle): void;
  isDisposed(t: Handle): boolean;
  liveTensors(): number;
  full(shape: number[], value: number, dtype: string): Handle;
  randn(shape: number[], generator: GeneratorHandle | null): Handle;
  rand(shape: number[], generator: GeneratorHandle | null): Handle;
  randint(high: number, shape: number[], generator: GeneratorHandle | null): Handle;
  arange(start: number, end: number, step: number): Handle;
  linspace(start: number, end: number, steps: number): Handle;
  makeGenerator(seed: number): GeneratorHandle;
  generatorState(g: GeneratorHandle): Handle;
  setGeneratorState(g: GeneratorHandle, state: Handle): void;
  add(a: Handle, b: Handle): Handle;
  sub(a: Handle, b: Handle): Handle;
  mul(a: Handle, b: Handle): Handle;
  div(a: Handle, b: Handle): Handle;
  addScalar(a: Handle, s: number): Handle;
  mulScalar(a: Handle, s: number): Handle;
  powScalar(a: Handle, s: number): Handle;
  neg(a: Handle): Handle;
  exp(a: Handle): Handle;
  log(a: Handle): Handle;
  sqrt(a: Handle): Handle;
  abs(a: Handle): Handle;
  square(a: Handle): Handle;
  clamp(a: Handle, min: number, max: number): Handle;
  relu(a: Handle): Handle;
  leakyRelu(a: Handle, slope: number): Handle;
  sigmoid(a: Handle): Handle;
  tanh(a: Handle): Handle;
  softmax(a: Handle, dim: number): Handle;
  logSoftmax(a: Handle, dim: number): Handle;
  eq(a: Handle, b: Handle): Handle;
  isFinite(a: Handle): Handle;
  reshape(a: Handle, shape: number[]): Handle;
  permute(a: Handle, dims: number[]): Handle;
  narrow(a: Handle, dim: number, start: number, length: number): Handle;
  indexSelect(a: Handle, dim: number, index: Handle): Handle;
  cat(list: Handle[], dim: number): Handle;
  stack(list: Handle[], dim: number): Handle;
  repeat(a: Handle, repeats: number[]): Handle;
  oneHot(index: Handle, classes: number): Handle;
  detach(a: Handle): Handle;
  clone(a: Handle): Handle;
  to(a: Handle, dtype: string): Handle;
  constantPad(a: Handle, pad: number[], value: number): Handle;
  sum(a: Handle, dims: number[] | null, keepdim: boolean): Handle;
  mean(a: Handle, dims: number[] | null, keepdim: boolean): Handle;
  max(a: Handle, dim: number, keepdim: boolean): Handle;
  argmax(a: Handle, dim: number, keepdim: boolean): Handle;
  maxAll(a: Handle): Handle;
  minAll(a: Handle): Handle;
  matmul(a: Handle, b: Handle): Handle;
  linear(x: Handle, weight: Handle, bias: Handle | null): Handle;
  conv2d(x: Handle, w: Handle, b: Handle | null, stride: number[], padding: number[]): Handle;
  convTranspose2d(x: Handle, w: Handle, b: Handle | null, stride: number[], padding: number[],
    outputPadding: number[]): Handle;
  batchNorm(x: Handle, weight: Handle | null, bias: Handle | null, runningMean: Handle | null,
    runningVar: Handle | null, training: boolean, momentum: number, eps: number): Handle;
  bceWithLogits(logits: Handle, target: Handle, reduction: Reduction): Handle;
  crossEntropy(logits: Handle, target: Handle, reduction: Reduction): Handle;
  setRequiresGrad(a: Handle, on: boolean): void;
  requiresGrad(a: Handle): boolean;
  backward(a: Handle, gradient: Handle | null): void;
  grad(a: Handle): Handle | null;
  clearGrad(a: Handle): void;
  setGradEnabled(on: boolean): boolean;
  copyInto(target: Handle, source: Handle): void;
  adamStep(params: Handle[], expAvgs: Handle[], expAvgSqs: Handle[], step: number, lr: number,
    beta1: number, beta2: number, eps: number): void;
  setThreads(n: number): void;
  getThreads(): number;
  blasLibrary(): string;
  blasConfig(): string;
  setAutocast(enabled: boolean): void;
  torchVersion(): string;
  watchStopSignals(on: boolean, intNotice?: string, termNotice?: string, intAgain?: string,
    termAgain?: string): void;
}

let binding: NativeBinding | undefined;

/** The binding, loaded on first use. */
export function native(): NativeBinding {
  if (binding) return binding;
  process.env.OPENBLAS_NUM_THREADS ??= '1';
  // OpenMP threads that spin while waiting at barriers steal the cores they wait for as soon as
  // anything else runs (another process, or a core held elsewhere): measured here, a training
  // run on a busy 2-core machine took 136 s spinning against 21 s sleeping. Sleep instead.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  const file = path.join(__dirname, '..', '..', '..', 'build', 'Release', 'infogan_torch.node');
  try {
    binding = require(file) as NativeBinding;
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    throw new Error(
      `cannot load the libtorch binding ${file} (${reason}); run \`npm install\` to build it ` +
        '(it needs libtorch: `sudo apt-get install libtorch-dev libopenblas0-openmp`)',
    );
  }
  return binding;
}
