/**
 * Adam (Kingma & Ba, 2015) with PyTorch's bias correction, over a fixed list of parameters.
 * Its state (step count and both moment estimates) can be saved and restored exactly.
 */
import { native } from './native';
import { Tensor, keep, zeros } from './tensor';

export interface AdamOptions {
  lr: number;
  /** Default: [0.9, 0.999]; InfoGAN uses beta1 = 0.5. */
  betas?: [number, number];
  /** Default: 1e-8. */
  eps?: number;
}

export class Adam {
  lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  private stepCount = 0;
  private readonly expAvgs: Tensor[];
  private readonly expAvgSqs: Tensor[];

  constructor(readonly params: Tensor[], options: AdamOptions) {
    this.lr = options.lr;
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    // Moments in each parameter's own dtype, as PyTorch's zeros_like: float32 moments for a
    // float64 parameter would round every update.
    this.expAvgs = params.map((p) => keep(zeros(p.shape, p.dtype)));
    this.expAvgSqs = params.map((p) => keep(zeros(p.shape, p.dtype)));
  }

  /** Drops every parameter's gradient (PyTorch's `zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    for (const p of this.params) p.clearGrad();
  }

  /** Updates every parameter that has a gradient. */
  step(): void {
    this.stepCount += 1;
    native().adamStep(this.params.map((p) => p.handle), this.expAvgs.map((t) => t.handle),
      this.expAvgSqs.map((t) => t.handle), this.stepCount, this.lr, this.betas[0],
      this.betas[1], this.eps);
  }

  get steps(): number {
    return this.stepCount;
  }

  /** Moment estimates by name (`<i>.exp_avg`, `<i>.exp_avg_sq`), and the step count. */
  stateDict(): { step: number; tensors: Map<string, Tensor> } {
    const tensors = new Map<string, Tensor>();
    this.params.forEach((_, i) => {
      tensors.set(`${i}.exp_avg`, this.expAvgs[i]);
      tensors.set(`${i}.exp_avg_sq`, this.expAvgSqs[i]);
    });
    return { step: this.stepCount, tensors };
  }

  loadStateDict(state: { step: number; tensors: Map<string, Tensor> }, what = 'optimiser'): void {
    this.params.forEach((p, i) => {
      for (const [name, target] of [[`${i}.exp_avg`, this.expAvgs[i]],
        [`${i}.exp_avg_sq`, this.expAvgSqs[i]]] as const) {
        const source = state.tensors.get(name);
        if (!source) throw new Error(`${what}: missing ${name}`);
        if (source.shape.join('x') !== p.shape.join('x')) {
          throw new Error(`${what}: ${name} has shape ${source.shape.join('x')}, ` +
            `expected ${p.shape.join('x')}`);
        }
        target.copy_(source);
      }
    });
    this.stepCount = state.step;
  }

  dispose(): void {
    for (const t of [...this.expAvgs, ...this.expAvgSqs]) t.dispose();
  }
}
