/**
 * Layers and parameter containers, as in `torch.nn`: each module owns its parameters (trained)
 * and buffers (running statistics), exposes them by dotted name for checkpoints, and switches
 * between training and evaluation behaviour with `train()` / `eval()`.
 */
import * as F from './functional';
import { Generator, Tensor, keep, noGrad, ones, rand, zeros } from './tensor';

export abstract class Module {
  protected training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly buffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  abstract forward(x: Tensor): Tensor;

  /** Trainable tensors, in a stable order. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedParameters(prefix = ''): [string, Tensor][] {
    const own = [...this.params].map(([n, t]): [string, Tensor] => [prefix + n, t]);
    const nested = [...this.children].flatMap(([n, m]) => m.namedParameters(`${prefix}${n}.`));
    return [...own, ...nested];
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    const own = [...this.buffers].map(([n, t]): [string, Tensor] => [prefix + n, t]);
    const nested = [...this.children].flatMap(([n, m]) => m.namedBuffers(`${prefix}${n}.`));
    return [...own, ...nested];
  }

  /** Parameters and buffers by name: what a checkpoint stores. */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /** Copies values from `state` into this module's tensors; every name and shape must match. */
  loadStateDict(state: Map<string, Tensor>, what = 'module'): void {
    const own = this.stateDict();
    for (const [name, target] of own) {
      const source = state.get(name);
      if (!source) throw new Error(`${what}: missing tensor ${name}`);
      const want = target.shape.join('x');
      const got = source.shape.join('x');
      if (want !== got) throw new Error(`${what}: ${name} has shape ${got}, expected ${want}`);
      target.copy_(source);
    }
    const extra = [...state.keys()].filter((n) => !own.has(n));
    if (extra.length > 0) throw new Error(`${what}: unexpected tensors ${extra.join(', ')}`);
  }

  train(on = true): this {
    this.training = on;
    for (const child of this.children.values()) child.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  get isTraining(): boolean {
    return this.training;
  }

  /** Frees every parameter and buffer. */
  dispose(): void {
    for (const [, t] of [...this.namedParameters(), ...this.namedBuffers()]) t.dispose();
  }

  protected addParameter(name: string, value: Tensor): Tensor {
    keep(value);
    value.requiresGrad = true;
    this.params.set(name, value);
    return value;
  }

  protected addBuffer(name: string, value: Tensor): Tensor {
    this.buffers.set(name, keep(value));
    return value;
  }

  protected addChild<M extends Module>(name: string, module: M): M {
    this.children.set(name, module);
    return module;
  }
}

/** Uniform in [-bound, bound): PyTorch's default initialisation, bound = 1 / sqrt(fanIn). */
function uniform(shape: number[], bound: number, generator?: Generator): Tensor {
  return noGrad(() => {
    const unit = rand(shape, generator);
    const scaled = unit.mul(2 * bound);
    const shifted = scaled.sub(bound);
    unit.dispose();
    scaled.dispose();
    return shifted;
  });
}

/** Fully connected: [batch, inFeatures] -> [batch, outFeatures]. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number,
    options: { bias?: boolean; generator?: Generator } = {}) {
    super();
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.addParameter('weight',
      uniform([outFeatures, inFeatures], bound, options.generator));
    this.bias = options.bias === false ? null
      : this.addParameter('bias', uniform([outFeatures], bound, options.generator));
  }

  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
}

export interface Conv2dOptions {
  stride?: number;
  /** [left, right, top, bottom]; symmetric padding runs inside the convolution itself. */
  padding?: [number, number, number, number];
  bias?: boolean;
  generator?: Generator;
}

/** Convolution: [batch, inChannels, h, w] -> [batch, outChannels, h', w']. */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  private readonly stride: number;
  private readonly padding: [number, number, number, number];

  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernel: number,
    options: Conv2dOptions = {}) {
    super();
    const bound = 1 / Math.sqrt(inChannels * kernel * kernel);
    this.weight = this.addParameter('weight',
      uniform([outChannels, inChannels, kernel, kernel], bound, options.generator));
    this.bias = options.bias === false ? null
      : this.addParameter('bias', uniform([outChannels], bound, options.generator));
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? [0, 0, 0, 0];
  }

  forward(x: Tensor): Tensor {
    const [left, right, top, bottom] = this.padding;
    if (left === right && top === bottom) {
      return F.conv2d(x, this.weight, this.bias, { stride: this.stride, padding: [top, left] });
    }
    const padded = F.pad2d(x, this.padding);
    const out = F.conv2d(padded, this.weight, this.bias, { stride: this.stride });
    padded.dispose();
    return out;
  }
}

/** Transposed convolution: [batch, inChannels, h, w] -> [batch, outChannels, h', w']. */
export class ConvTranspose2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernel: number,
    private readonly options: { stride?: number; padding?: number; outputPadding?: number;
      bias?: boolean; generator?: Generator } = {}) {
    super();
    const bound = 1 / Math.sqrt(outChannels * kernel * kernel);
    this.weight = this.addParameter('weight',
      uniform([inChannels, outChannels, kernel, kernel], bound, options.generator));
    this.bias = options.bias === false ? null
      : this.addParameter('bias', uniform([outChannels], bound, options.generator));
  }

  forward(x: Tensor): Tensor {
    return F.convTranspose2d(x, this.weight, this.bias, {
      stride: this.options.stride ?? 1,
      padding: this.options.padding ?? 0,
      outputPadding: this.options.outputPadding ?? 0,
    });
  }
}

/** Batch normalisation over features (dim 1), with running statistics for evaluation. */
export class BatchNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;

  constructor(readonly features: number, private readonly momentum = 0.1,
    private readonly eps = 1e-5) {
    super();
    this.weight = this.addParameter('weight', ones([features]));
    this.bias = this.addParameter('bias', zeros([features]));
    this.runningMean = this.addBuffer('running_mean', zeros([features]));
    this.runningVar = this.addBuffer('running_var', ones([features]));
  }

  forward(x: Tensor): Tensor {
    return F.batchNorm(x, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      training: this.training,
      momentum: this.momentum,
      eps: this.eps,
    });
  }
}

export type ActivationName = 'relu' | 'lrelu' | 'sigmoid' | 'tanh' | 'identity';

/** An elementwise activation; `lrelu` has slope 0.1 below zero, as in the InfoGAN paper. */
export class Activation extends Module {
  constructor(readonly name: ActivationName, readonly negativeSlope = 0.1) {
    super();
  }

  forward(x: Tensor): Tensor {
    switch (this.name) {
      case 'relu': return x.relu();
      case 'lrelu': return x.leakyRelu(this.negativeSlope);
      case 'sigmoid': return x.sigmoid();
      case 'tanh': return x.tanh();
      case 'identity': return x.clone();
    }
  }
}

/** Reshapes each example: [batch, ...] -> [batch, ...shape]. */
export class Reshape extends Module {
  constructor(readonly shape: number[]) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x.reshape([x.shape[0], ...this.shape]);
  }
}

/** Modules applied in order; intermediate tensors are freed as it goes. */
export class Sequential extends Module {
  readonly layers: Module[];

  constructor(layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((layer, i) => this.addChild(String(i), layer));
  }

  forward(x: Tensor): Tensor {
    let current = x;
    for (const layer of this.layers) {
      const next = layer.forward(current);
      // Autograd holds what backward needs; the JS handle of an intermediate can go now.
      if (current !== x) current.dispose();
      current = next;
    }
    return current === x ? x.clone() : current;
  }
}
