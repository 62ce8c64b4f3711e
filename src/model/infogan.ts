/**
 * The InfoGAN model (Chen et al., 2016): a generator fed structured codes, and a discriminator
 * whose body is shared by the real/fake head and the Q head that predicts the codes back.
 *
 * Latent layout, per example: [style noise ~ N(0, 1) | one-hot categorical codes | continuous
 * codes ~ U(-1, 1)]. Q outputs, per example: [logits of each categorical code | mean of each
 * continuous code | log-std of each continuous code (only when the std is learned)].
 */
import { F, Generator, Tensor, cat, nn, oneHot, rand, randint, randn, tidy } from '../torch';
import { UserError } from '../util/log';
import { buildNetwork, describeShape, networkOutput, shapeSize, type ExampleShape } from './networks';
import type { TrainConfig } from '../config/train';

/** The settings that shape the networks; see TrainConfig for each one's flag and default. */
export type ModelConfig = Pick<TrainConfig, 'infogan' | 'categoricalCardinality' |
  'numContinuous' | 'styleSize' | 'styleStd' | 'useBatchNorm' | 'fixStd' | 'generator' | 'discriminator'>;

export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/** What the codes of one batch were; the targets of the information term. */
export interface LatentBatch {
  /** [batch, latentSize] */
  latent: Tensor;
  /** One [batch] int64 tensor per categorical code. */
  categorical: Tensor[];
  /** [batch, numContinuous], or null when there are none. */
  continuous: Tensor | null;
}

/** The Q head's prediction for a batch, split per code. */
export interface CodePrediction {
  /** One [batch, K] logits tensor per categorical code. */
  categoricalLogits: Tensor[];
  /** [batch, numContinuous] means, or null. */
  continuousMean: Tensor | null;
  /** [batch, numContinuous] log-std, or null when fixed at std 1. */
  continuousLogStd: Tensor | null;
}

/** The lrelu slope of the Q head, as in the paper. */
const Q_HIDDEN = 128;

export class InfoGAN {
  readonly generator: nn.Sequential;
  readonly discriminatorBody: nn.Sequential;
  readonly realFakeHead: nn.Linear;
  readonly qHead: nn.Sequential | null;
  readonly summary: string[];
  readonly categorical: number[];
  readonly numContinuous: number;

  constructor(readonly config: ModelConfig, readonly image: ImageShape, generator?: Generator) {
    this.categorical = config.infogan ? config.categoricalCardinality : [];
    this.numContinuous = config.infogan ? config.numContinuous : 0;
    const latent: ExampleShape = { kind: 'vector', size: this.latentSize };
    const built = buildNetwork(config.generator, latent, {
      flag: '--generator',
      batchNormDefault: (i, count) => config.useBatchNorm && i < count - 1,
      generator,
    });
    checkGeneratorOutput(built.output, image);
    const imageShape: ExampleShape = { kind: 'image', ...image };
    const body = buildNetwork(config.discriminator, imageShape, {
      flag: '--discriminator',
      // Not on the image itself (as DCGAN and the InfoGAN paper): normalising D's first layer
      // over batches of only real or only fake images makes it unstable.
      batchNormDefault: (i) => config.useBatchNorm && i > 0,
      generator,
    });
    const features = shapeSize(body.output);
    this.generator = built.network;
    this.discriminatorBody = body.network;
    if (body.output.kind === 'image') this.discriminatorBody.layers.push(new nn.Reshape([features]));
    this.realFakeHead = new nn.Linear(features, 1, { generator });
    this.qHead = config.infogan && this.qOutputs > 0 ? new nn.Sequential([
      new nn.Linear(features, Q_HIDDEN, { generator }),
      new nn.BatchNorm(Q_HIDDEN),
      new nn.Activation('lrelu'),
      new nn.Linear(Q_HIDDEN, this.qOutputs, { generator }),
    ]) : null;
    this.summary = [
      `latent: ${config.styleSize} style${config.styleSize > 0 ? ` (std ${config.styleStd})` : ''} + categorical [${this.categorical.join(', ')}] + ` +
        `${this.numContinuous} continuous = ${this.latentSize}`,
      ...built.summary,
      `generated image: ${describeShape(built.output)}`,
      ...body.summary,
      `discriminator heads: real/fake [${features}] -> [1]` +
        (this.qHead ? `, Q [${features}] -> [${Q_HIDDEN}] + batch norm + lrelu -> ` +
          `[${this.qOutputs}]` : ''),
    ];
  }

  get latentSize(): number {
    return latentSize(this.config);
  }

  get qOutputs(): number {
    const perContinuous = this.config.fixStd ? 1 : 2;
    return this.categorical.reduce((a, b) => a + b, 0) + this.numContinuous * perContinuous;
  }

  /** Everything D's optimiser trains: the shared body and the real/fake head. */
  discriminatorParameters(): Tensor[] {
    return [...this.discriminatorBody.parameters(), ...this.realFakeHead.parameters()];
  }

  /** Everything the generator's optimiser trains: the generator and the Q head. */
  generatorParameters(): Tensor[] {
    return [...this.generator.parameters(), ...(this.qHead?.parameters() ?? [])];
  }

  /** Every module by checkpoint prefix. */
  modules(): [string, nn.Module][] {
    const modules: [string, nn.Module][] = [
      ['generator', this.generator],
      ['discriminator', this.discriminatorBody],
      ['real_fake_head', this.realFakeHead],
    ];
    if (this.qHead) modules.push(['q_head', this.qHead]);
    return modules;
  }

  train(on = true): void {
    for (const [, module] of this.modules()) module.train(on);
  }

  /** Draws `batch` latent vectors from the priors. */
  sampleLatent(batch: number, generator?: Generator): LatentBatch {
    return tidy(() => {
      const { style, categorical, continuous } = this.sampleCodes(batch, generator);
      return { latent: this.latentFrom(style, categorical, continuous), categorical, continuous };
    });
  }

  /**
   * Draws `batch` codes from the priors, as sampleLatent does but without the one-hot latent,
   * whose size grows with the categorical codes' values (a grid assembles it a row at a time).
   */
  sampleCodes(batch: number, generator?: Generator): Omit<LatentBatch, 'latent'> &
    { style: Tensor | null } {
    return tidy(() => {
      const style = this.sampleStyle(batch, generator);
      const categorical = this.categorical.map((k) => randint(k, [batch], generator));
      const continuous = this.numContinuous > 0
        ? rand([batch, this.numContinuous], generator).mul(2).sub(1) : null;
      return { style, categorical, continuous };
    });
  }

  /** `batch` rows of style noise, N(0, styleStd^2); null when there is no style noise. */
  sampleStyle(batch: number, generator?: Generator): Tensor | null {
    const { styleSize, styleStd } = this.config;
    if (styleSize === 0) return null;
    const noise = randn([batch, styleSize], generator);
    if (styleStd === 1) return noise;
    return tidy(() => noise.mul(styleStd));
  }

  /**
   * Assembles latent vectors from given codes: style [batch, styleSize], one [batch] int64
   * tensor per categorical code, continuous [batch, numContinuous].
   */
  latentFrom(style: Tensor | null, categorical: Tensor[], continuous: Tensor | null): Tensor {
    return tidy(() => {
      const parts: Tensor[] = [];
      if (style) parts.push(style);
      categorical.forEach((codes, i) => parts.push(oneHot(codes, this.categorical[i])));
      if (continuous) parts.push(continuous);
      return cat(parts, 1);
    });
  }

  /** [batch, latentSize] -> images [batch, channels, height, width]. */
  generate(latent: Tensor): Tensor {
    return this.generator.forward(latent);
  }

  /** Images -> shared features [batch, features]. */
  features(images: Tensor): Tensor {
    return this.discriminatorBody.forward(images);
  }

  /** Features -> real/fake logits [batch, 1]. */
  realFakeLogits(features: Tensor): Tensor {
    return this.realFakeHead.forward(features);
  }

  /** Features -> the Q head's code predictions. */
  predictCodes(features: Tensor): CodePrediction {
    if (!this.qHead) return { categoricalLogits: [], continuousMean: null, continuousLogStd: null };
    const output = this.qHead.forward(features);
    let start = 0;
    const take = (n: number) => {
      const part = output.narrow(1, start, n);
      start += n;
      return part;
    };
    const categoricalLogits = this.categorical.map((k) => take(k));
    const continuousMean = this.numContinuous > 0 ? take(this.numContinuous) : null;
    const continuousLogStd = this.numContinuous > 0 && !this.config.fixStd
      ? take(this.numContinuous) : null;
    output.dispose();
    return { categoricalLogits, continuousMean, continuousLogStd };
  }

  dispose(): void {
    for (const [, module] of this.modules()) module.dispose();
  }
}

/** The information term's parts, each a scalar tensor (negative log-likelihoods, minimised). */
export interface InformationLoss {
  /** Sum over categorical codes of the mean cross-entropy: -sum log Q(c_cat | x). */
  categorical: Tensor | null;
  /** Sum over continuous codes of the mean Gaussian negative log-likelihood. */
  continuous: Tensor | null;
  /** lambda_cat * categorical + lambda_cont * continuous. */
  total: Tensor | null;
}

/**
 * -L_I: minimising it maximises the mutual-information lower bound
 * lambda_cat * sum log Q(c_cat | x) + lambda_cont * sum log N(c_cont; mean, std).
 */
export function informationLoss(prediction: CodePrediction, codes: LatentBatch,
  lambdas: { categorical: number; continuous: number }): InformationLoss {
  const categoricalTerms = prediction.categoricalLogits.map((logits, i) =>
    F.crossEntropy(logits, codes.categorical[i]));
  const categorical = categoricalTerms.length > 0 ? sumAll(categoricalTerms) : null;
  let continuous: Tensor | null = null;
  if (prediction.continuousMean && codes.continuous) {
    const logLikelihood = F.gaussianLogLikelihood(codes.continuous, prediction.continuousMean,
      prediction.continuousLogStd);
    // Sum over codes, mean over the batch; negated to a loss.
    continuous = logLikelihood.sum(1).mean().neg();
  }
  const weighted: Tensor[] = [];
  if (categorical) weighted.push(categorical.mul(lambdas.categorical));
  if (continuous) weighted.push(continuous.mul(lambdas.continuous));
  const total = weighted.length > 0 ? sumAll(weighted) : null;
  return { categorical, continuous, total };
}

function sumAll(terms: Tensor[]): Tensor {
  return terms.slice(1).reduce((acc, t) => acc.add(t), terms[0]);
}

/** Style noise, one-hot categorical codes and continuous codes: the generator's input size. */
function latentSize(config: ModelConfig): number {
  if (!config.infogan) return config.styleSize;
  return config.styleSize + config.categoricalCardinality.reduce((a, b) => a + b, 0) +
    config.numContinuous;
}

/**
 * Refuses a generator that cannot make images of the size the data will have, before the data is
 * read; `source` says where that size comes from. Channels are checked once the images are decoded.
 */
export function checkGeneratorFits(config: ModelConfig,
  image: { height: number; width: number; source: string }): void {
  const output = networkOutput(config.generator,
    { kind: 'vector', size: latentSize(config) }, '--generator');
  if (output.kind !== 'image' || output.height !== image.height || output.width !== image.width) {
    throw new UserError(`the generator makes ${describeShape(output)} images (height, width, ` +
      `channels) but ${image.source} gives ${image.width}x${image.height} (width x height): ` +
      'change --generator or --scale_dataset', 2);
  }
}

function checkGeneratorOutput(output: ExampleShape, image: ImageShape): void {
  const want = `[${image.height}, ${image.width}, ${image.channels}]`;
  if (output.kind !== 'image' || output.height !== image.height || output.width !== image.width ||
    output.channels !== image.channels) {
    throw new UserError(`the generator makes ${describeShape(output)} images but the data is ` +
      `${want} (height, width, channels): change --generator or --scale_dataset/--force_grayscale`, 2);
  }
}
