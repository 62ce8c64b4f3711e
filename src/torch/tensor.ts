/**
 * Tensors in PyTorch's idiom, backed by libtorch, with deterministic memory.
 *
 * Every Tensor owns one native at::Tensor. It is freed by `dispose()`, or by the innermost `tidy`
 * scope it was created in when that scope ends (unless returned from it or passed to `keep`).
 * Autograd is libtorch's own: `requiresGrad`, `backward()`, `grad`, and `noGrad(fn)`.
 */
import { native, type GeneratorHandle, type Handle, type Reduction } from './native';

export type DType = 'float32' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';
export type Shape = readonly number[];

/** Tensors created while a scope is open, innermost scope last. */
const scopes: Tensor[][] = [];

export class Tensor {
  private _handle: Handle | null;
  private kept = false;

  /** Wraps a native handle; most code creates tensors through ops and factories instead. */
  constructor(handle: Handle) {
    this._handle = handle;
    const scope = scopes[scopes.length - 1];
    if (scope) scope.push(this);
  }

  /** The native handle; throws if the tensor was disposed. */
  get handle(): Handle {
    if (this._handle === null) throw new Error('tensor used after dispose()');
    return this._handle;
  }

  get shape(): number[] {
    return native().shape(this.handle);
  }

  get dtype(): DType {
    return native().dtype(this.handle) as DType;
  }

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  get isDisposed(): boolean {
    return this._handle === null;
  }

  /** Frees the native memory now. Safe to call twice. */
  dispose(): void {
    if (this._handle === null) return;
    native().dispose(this._handle);
    this._handle = null;
  }

  // --- Autograd --------------------------------------------------------------------------------

  get requiresGrad(): boolean {
    return native().requiresGrad(this.handle);
  }

  set requiresGrad(on: boolean) {
    native().setRequiresGrad(this.handle, on);
  }

  /** The accumulated gradient (a new Tensor each call, sharing storage), or null. */
  get grad(): Tensor | null {
    const handle = native().grad(this.handle);
    return handle === null ? null : new Tensor(handle);
  }

  /** Drops the accumulated gradient (PyTorch's `zero_grad(set_to_none=True)`). */
  clearGrad(): void {
    native().clearGrad(this.handle);
  }

  /** Back-propagates from this tensor (a scalar unless `gradient` is given). */
  backward(gradient?: Tensor): void {
    native().backward(this.handle, gradient ? gradient.handle : null);
  }

  detach(): Tensor {
    return new Tensor(native().detach(this.handle));
  }

  // --- Reading values --------------------------------------------------------------------------

  /** The single value of a one-element tensor. */
  item(): number {
    return native().item(this.handle);
  }

  /** A copy of the elements as float32, row-major. */
  toFloat32Array(): Float32Array {
    const source = this.dtype === 'float32' ? this : this.to('float32');
    const bytes = native().toBytes(source.handle);
    if (source !== this) source.dispose();
    return new Float32Array(bytes);
  }

  /** A copy of the elements as float64, row-major (exact for float64 tensors). */
  toFloat64Array(): Float64Array {
    const source = this.dtype === 'float64' ? this : this.to('float64');
    const bytes = native().toBytes(source.handle);
    if (source !== this) source.dispose();
    return new Float64Array(bytes);
  }

  /** A copy of the raw bytes, row-major, in this tensor's dtype. */
  toBytes(): Uint8Array {
    return new Uint8Array(native().toBytes(this.handle));
  }

  /** Plain numbers, for tests and small tensors. */
  toArray(): number[] {
    return Array.from(this.toFloat32Array());
  }

  // --- Elementwise ---------------------------------------------------------------------------

  add(other: Tensor | number): Tensor {
    return binary(this, other, 'add', (h, s) => native().addScalar(h, s));
  }

  sub(other: Tensor | number): Tensor {
    return binary(this, other, 'sub', (h, s) => native().addScalar(h, -s));
  }

  mul(other: Tensor | number): Tensor {
    return binary(this, other, 'mul', (h, s) => native().mulScalar(h, s));
  }

  div(other: Tensor | number): Tensor {
    return binary(this, other, 'div', (h, s) => native().mulScalar(h, 1 / s));
  }

  pow(exponent: number): Tensor {
    return new Tensor(native().powScalar(this.handle, exponent));
  }

  neg(): Tensor {
    return new Tensor(native().neg(this.handle));
  }

  exp(): Tensor {
    return new Tensor(native().exp(this.handle));
  }

  log(): Tensor {
    return new Tensor(native().log(this.handle));
  }

  sqrt(): Tensor {
    return new Tensor(native().sqrt(this.handle));
  }

  abs(): Tensor {
    return new Tensor(native().abs(this.handle));
  }

  square(): Tensor {
    return new Tensor(native().square(this.handle));
  }

  clamp(min: number, max: number): Tensor {
    return new Tensor(native().clamp(this.handle, min, max));
  }

  relu(): Tensor {
    return new Tensor(native().relu(this.handle));
  }

  leakyRelu(negativeSlope = 0.01): Tensor {
    return new Tensor(native().leakyRelu(this.handle, negativeSlope));
  }

  sigmoid(): Tensor {
    return new Tensor(native().sigmoid(this.handle));
  }

  tanh(): Tensor {
    return new Tensor(native().tanh(this.handle));
  }

  softmax(dim: number): Tensor {
    return new Tensor(native().softmax(this.handle, dim));
  }

  logSoftmax(dim: number): Tensor {
    return new Tensor(native().logSoftmax(this.handle, dim));
  }

  eq(other: Tensor): Tensor {
    return new Tensor(native().eq(this.handle, other.handle));
  }

  /** True when no element is NaN or infinite. */
  allFinite(): boolean {
    const flag = new Tensor(native().isFinite(this.handle));
    const result = flag.item() !== 0;
    flag.dispose();
    return result;
  }

  matmul(other: Tensor): Tensor {
    return new Tensor(native().matmul(this.handle, other.handle));
  }

  // --- Reductions ----------------------------------------------------------------------------

  /** Sum over `dims` (all when omitted). */
  sum(dims?: number | number[], keepdim = false): Tensor {
    return new Tensor(native().sum(this.handle, dimList(dims), keepdim));
  }

  /** Mean over `dims` (all when omitted). */
  mean(dims?: number | number[], keepdim = false): Tensor {
    return new Tensor(native().mean(this.handle, dimList(dims), keepdim));
  }

  /** Largest value along `dim`, or over everything when omitted. */
  max(dim?: number, keepdim = false): Tensor {
    if (dim === undefined) return new Tensor(native().maxAll(this.handle));
    return new Tensor(native().max(this.handle, dim, keepdim));
  }

  min(): Tensor {
    return new Tensor(native().minAll(this.handle));
  }

  argmax(dim: number, keepdim = false): Tensor {
    return new Tensor(native().argmax(this.handle, dim, keepdim));
  }

  // --- Shape -----------------------------------------------------------------------------------

  reshape(shape: Shape): Tensor {
    return new Tensor(native().reshape(this.handle, [...shape]));
  }

  /** Reorders dimensions; the result is contiguous. */
  permute(dims: number[]): Tensor {
    return new Tensor(native().permute(this.handle, dims));
  }

  /** `length` entries of `dim` from `start` (a view sharing storage, like PyTorch's narrow). */
  narrow(dim: number, start: number, length: number): Tensor {
    return new Tensor(native().narrow(this.handle, dim, start, length));
  }

  /** Entries `start` to `end` (exclusive) of `dim`. */
  slice(dim: number, start: number, end: number): Tensor {
    return this.narrow(dim, start, end - start);
  }

  indexSelect(dim: number, index: Tensor): Tensor {
    return new Tensor(native().indexSelect(this.handle, dim, index.handle));
  }

  repeat(repeats: number[]): Tensor {
    return new Tensor(native().repeat(this.handle, repeats));
  }

  clone(): Tensor {
    return new Tensor(native().clone(this.handle));
  }

  to(dtype: DType): Tensor {
    return new Tensor(native().to(this.handle, dtype));
  }

  /** Copies `source`'s values into this tensor in place, outside autograd. */
  copy_(source: Tensor): this {
    native().copyInto(this.handle, source.handle);
    return this;
  }

  /** Removes the tensor from every scope so that only an explicit dispose() frees it. */
  keep(): this {
    this.kept = true;
    return this;
  }

  /** @internal Whether a scope must leave this tensor alone. */
  get isKept(): boolean {
    return this.kept;
  }

  toString(): string {
    return this.isDisposed ? 'Tensor(disposed)' : `Tensor(${this.dtype}, [${this.shape.join(', ')}])`;
  }
}

function binary(
  a: Tensor,
  b: Tensor | number,
  op: 'add' | 'sub' | 'mul' | 'div',
  scalar: (h: Handle, s: number) => Handle,
): Tensor {
  if (typeof b === 'number') return new Tensor(scalar(a.handle, b));
  return new Tensor(native()[op](a.handle, b.handle));
}

function dimList(dims: number | number[] | undefined): number[] | null {
  if (dims === undefined) return null;
  return typeof dims === 'number' ? [dims] : dims;
}

// --- Scopes ----------------------------------------------------------------------------------

/**
 * Runs `fn`, then disposes every tensor created inside it except those it returns (found in the
 * returned value, arrays and plain objects included) and those marked with `keep()`.
 * Returned tensors belong to the enclosing scope. If `fn` throws, everything it made (but kept
 * tensors) is disposed before the error goes on. Like TF.js's `tf.tidy`.
 */
export function tidy<T>(fn: () => T): T {
  const scope: Tensor[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    // Nothing is returned, so nothing made in the scope survives a throw (as in TF.js).
    scopes.pop();
    for (const tensor of scope) if (!tensor.isKept) tensor.dispose();
    throw error;
  }
  scopes.pop();
  const survivors = new Set<Tensor>();
  collectTensors(result, survivors);
  const parent = scopes[scopes.length - 1];
  for (const tensor of scope) {
    if (survivors.has(tensor)) parent?.push(tensor);
    else if (!tensor.isKept) tensor.dispose();
  }
  return result;
}

function collectTensors(value: unknown, into: Set<Tensor>): void {
  if (value instanceof Tensor) {
    into.add(value);
  } else if (Array.isArray(value)) {
    for (const item of value) collectTensors(item, into);
  } else if (value !== null && typeof value === 'object' && value.constructor === Object) {
    for (const item of Object.values(value)) collectTensors(item, into);
  }
}

/** Disposes every tensor found in `value` (a tensor, array or plain object of them). */
export function dispose(value: unknown): void {
  const found = new Set<Tensor>();
  collectTensors(value, found);
  for (const tensor of found) tensor.dispose();
}

/** Marks `tensor` so that no scope disposes it. */
export function keep<T extends Tensor>(tensor: T): T {
  return tensor.keep();
}

/** Runs `fn` with autograd off (PyTorch's `torch.no_grad()`). */
export function noGrad<T>(fn: () => T): T {
  const previous = native().setGradEnabled(false);
  try {
    return fn();
  } finally {
    native().setGradEnabled(previous);
  }
}

/** Live native tensors, for leak tests: `memory().numTensors` stays flat in a steady loop. */
export function memory(): { numTensors: number } {
  return { numTensors: native().liveTensors() };
}

// --- Factories ---------------------------------------------------------------------------------

type TypedData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/**
 * A tensor from a typed array or nested number array, copied. Shape defaults to 1-D.
 * `dtype` converts after copying (e.g. Int32Array data as 'int64' for class indices).
 */
export function tensor(data: TypedData | number[], shape?: Shape, dtype?: DType): Tensor {
  const array = Array.isArray(data) ? Float32Array.from(data) : data;
  const dims = shape ? [...shape] : [array.length];
  const expected = dims.reduce((a, b) => a * b, 1);
  if (expected !== array.length) {
    throw new Error(`tensor: ${array.length} values do not fill shape [${dims.join(', ')}]`);
  }
  return new Tensor(native().fromTypedArray(array, dims, dtype));
}

/** A tensor from raw bytes in `dtype` (as read from a safetensors file). */
export function fromBytes(bytes: Uint8Array, shape: Shape, dtype: DType): Tensor {
  const copy = new Uint8Array(bytes); // aligned, owned
  const views: Record<string, () => TypedData | Uint16Array> = {
    float32: () => new Float32Array(copy.buffer),
    float64: () => new Float64Array(copy.buffer),
    int32: () => new Int32Array(copy.buffer),
    int64: () => new BigInt64Array(copy.buffer),
    uint8: () => copy,
    bfloat16: () => new Uint16Array(copy.buffer),
    bool: () => copy,
  };
  const view = views[dtype];
  if (!view) throw new Error(`fromBytes: unsupported dtype ${dtype}`);
  const convert = dtype === 'bool' ? 'bool' : undefined; // bool bytes travel as uint8
  return new Tensor(native().fromTypedArray(view(), [...shape], convert));
}

export function full(shape: Shape, value: number, dtype: DType = 'float32'): Tensor {
  return new Tensor(native().full([...shape], value, dtype));
}

export function zeros(shape: Shape, dtype: DType = 'float32'): Tensor {
  return full(shape, 0, dtype);
}

export function ones(shape: Shape, dtype: DType = 'float32'): Tensor {
  return full(shape, 1, dtype);
}

/** `steps` evenly spaced values from `start` to `end`, both included. */
export function linspace(start: number, end: number, steps: number): Tensor {
  return new Tensor(native().linspace(start, end, steps));
}

export function cat(tensors: Tensor[], dim = 0): Tensor {
  return new Tensor(native().cat(tensors.map((t) => t.handle), dim));
}

export function stack(tensors: Tensor[], dim = 0): Tensor {
  return new Tensor(native().stack(tensors.map((t) => t.handle), dim));
}

/** One-hot float32 rows for int64 class indices: [n] -> [n, classes]. */
export function oneHot(indices: Tensor, classes: number): Tensor {
  return new Tensor(native().oneHot(indices.handle, classes));
}

// --- Random numbers --------------------------------------------------------------------------

/** A seeded random stream (libtorch's Mersenne Twister), whose state can be saved and restored. */
export class Generator {
  readonly handle: GeneratorHandle;

  constructor(seed: number) {
    this.handle = native().makeGenerator(seed);
  }

  /** The full state, to store in a checkpoint. */
  getState(): Uint8Array {
    const state = new Tensor(native().generatorState(this.handle));
    const bytes = state.toBytes();
    state.dispose();
    return bytes;
  }

  setState(bytes: Uint8Array): void {
    const state = tensor(new Uint8Array(bytes), [bytes.length]);
    try {
      native().setGeneratorState(this.handle, state.handle);
    } finally {
      state.dispose();
    }
  }
}

/** Standard normal samples. */
export function randn(shape: Shape, generator?: Generator): Tensor {
  return new Tensor(native().randn([...shape], generator?.handle ?? null));
}

/** Uniform samples in [0, 1). */
export function rand(shape: Shape, generator?: Generator): Tensor {
  return new Tensor(native().rand([...shape], generator?.handle ?? null));
}

/** Uniform integers in [0, high), int64. */
export function randint(high: number, shape: Shape, generator?: Generator): Tensor {
  return new Tensor(native().randint(high, [...shape], generator?.handle ?? null));
}

export type { Reduction };
