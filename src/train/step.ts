/**
 * One InfoGAN training step: a discriminator update on a real batch and a detached fake batch,
 * then a generator + Q update on the same fake batch.
 */
import { Adam, F, Generator, Tensor, full, tidy } from '../torch';
import { InfoGAN, informationLoss } from '../model/infogan';
import { augment, type Augmentation } from './augment';
import { jitter } from './jitter';
import type { LabeledBatch } from './supervision';

export interface StepLosses {
  /** -[log D(x) + log(1 - D(G(z)))], the discriminator's loss (binary cross-entropy). */
  discriminator: number;
  /** -log D(G(z)), the generator's non-saturating adversarial loss. */
  generator: number;
  /** lambda_cat * categorical + lambda_cont * continuous: -L_I, the information loss. */
  information: number;
  /** -sum log Q(c_cat | G(z)) over categorical codes (batch mean). */
  categorical: number;
  /** -sum log Q(c_cont | G(z)) over continuous codes (batch mean). */
  continuous: number;
  /** Mean D(x) on the real batch. */
  realScore: number;
  /** Mean D(G(z)) on the fake batch, before the discriminator update. */
  fakeScore: number;
  /** Q's mean predicted std per continuous code, when the std is learned (`--nofix_std`). */
  continuousStd?: number[];
  /** Cross-entropy of Q's first categorical code against the labelled batch (`--labeled`). */
  supervised?: number;
  /** Mean entropy of Q's categorical predictions on the real batch minus the entropy of their
   * batch mean, summed over categorical codes (`--real_info_lambda`); -I(x; c) under Q. */
  realInformation?: number;
  /** -sum log Q(c_cat | jitter(G(z))) over categorical codes (batch mean): how well Q names the
   * categories of shifted, slanted and stretched generated images (`--invariance_lambda`). */
  invariance?: number;
}

export interface StepContext {
  model: InfoGAN;
  generatorOptimizer: Adam;
  discriminatorOptimizer: Adam;
  rng: Generator;
  lambdas: { categorical: number; continuous: number };
  /** Whether the discriminator step also minimises the information loss, training the body that
   * D and Q share (as the original InfoGAN does); otherwise only the generator step sees it. */
  infoTrainsBody?: boolean;
  /** Weight of the supervised cross-entropy on labelled images (`--labeled_lambda`). */
  supervisedLambda?: number;
  /** Weight of the information term on real images (`--real_info_lambda`); 0 = none. */
  realInformationLambda?: number;
  /** Transforms that D sees real and generated images through (`--augment`); Q reads the
   * generated images as they are. */
  augmentations?: readonly Augmentation[];
  /** Weight of the categorical information term on jittered generated images
   * (`--invariance_lambda`); 0 = none. */
  invarianceLambda?: number;
}

/**
 * Runs one step on `real` ([batch, channels, height, width] in [0, 1]); frees what it makes.
 * With `labeled`, the shared body (in the discriminator step) and Q's head (in the generator
 * step) also learn to name the classes of those real images with Q's first categorical code.
 */
export function trainStep(context: StepContext, real: Tensor, labeled?: LabeledBatch): StepLosses {
  const { model, generatorOptimizer, discriminatorOptimizer, rng, lambdas } = context;
  return tidy(() => {
    const batch = real.shape[0];
    const ones = full([batch, 1], 1);
    const zeros = full([batch, 1], 0);
    const codes = model.sampleLatent(batch, rng);
    const fake = model.generate(codes.latent);

    // Discriminator: maximise log D(x) + log(1 - D(G(z))), i.e. minimise the two BCE terms.
    discriminatorOptimizer.zeroGrad();
    const augmentations = context.augmentations ?? [];
    const realFeatures = model.features(augment(real, augmentations, rng));
    const realLogits = model.realFakeLogits(realFeatures);
    const detachedFeatures = model.features(augment(fake.detach(), augmentations, rng));
    const fakeLogits = model.realFakeLogits(detachedFeatures);
    const discriminatorLoss = F.bceWithLogits(realLogits, ones).add(F.bceWithLogits(fakeLogits, zeros));
    // The labelled images (under --invariance_lambda jittered as well: Q learns the classes
    // through the changes the categories must ignore) teach the shared body the classes here,
    // and Q's head from the same features in the generator step.
    let labeledFeatures: Tensor | null = null;
    let bodySupervised: Tensor | null = null;
    if (labeled) {
      labeledFeatures = model.features(context.invarianceLambda
        ? jitter(labeled.images, rng) : labeled.images);
      bodySupervised = F.crossEntropy(model.predictCodes(labeledFeatures).categoricalLogits[0],
        labeled.classes).mul(context.supervisedLambda ?? 1);
    }
    const discriminatorTotal = bodySupervised
      ? discriminatorLoss.add(bodySupervised) : discriminatorLoss;
    if (context.infoTrainsBody && model.qHead) {
      // The shared body also learns to keep the codes recoverable; Q's own gradients from this
      // pass are dropped by the generator step's zeroGrad below.
      const bodyInformation = informationLoss(model.predictCodes(detachedFeatures), codes, lambdas);
      (bodyInformation.total ? discriminatorTotal.add(bodyInformation.total) : discriminatorTotal)
        .backward();
    } else {
      discriminatorTotal.backward();
    }
    discriminatorOptimizer.step();

    // Generator and Q: fool D (non-saturating: maximise log D(G(z))) and maximise L_I, so the
    // codes stay recoverable from the image.
    generatorOptimizer.zeroGrad();
    const fakeFeatures = model.features(fake);
    // With augmentation D judges a transformed copy; Q still reads the image as generated.
    const judgedFeatures = augmentations.length > 0
      ? model.features(augment(fake, augmentations, rng)) : fakeFeatures;
    const generatorLoss = F.bceWithLogits(model.realFakeLogits(judgedFeatures), ones);
    const prediction = model.predictCodes(fakeFeatures);
    const information = informationLoss(prediction, codes, lambdas);
    let total = information.total ? generatorLoss.add(information.total) : generatorLoss;
    let supervised: Tensor | null = null;
    if (labeledFeatures) {
      const logits = model.predictCodes(labeledFeatures.detach()).categoricalLogits[0];
      supervised = F.crossEntropy(logits, labeled!.classes);
      total = total.add(supervised.mul(context.supervisedLambda ?? 1));
    }
    let realInformation: Tensor | null = null;
    if (context.realInformationLambda && model.categorical.length > 0) {
      // Only the Q head learns from it: the body's features of the real batch are reused,
      // detached, from the discriminator step.
      const logits = model.predictCodes(realFeatures.detach()).categoricalLogits;
      realInformation = logits.map(negativeInformation).reduce((acc, t) => acc.add(t));
      total = total.add(realInformation.mul(context.realInformationLambda));
    }
    let invariance: Tensor | null = null;
    if (context.invarianceLambda && model.categorical.length > 0) {
      // The same codes must be read back through a small shift, slant and stretch, which G's
      // gradient reaches through the resampling.
      const logits = model.predictCodes(model.features(jitter(fake, rng))).categoricalLogits;
      invariance = logits.map((l, i) => F.crossEntropy(l, codes.categorical[i]))
        .reduce((acc, t) => acc.add(t));
      total = total.add(invariance.mul(context.invarianceLambda));
    }
    total.backward();
    generatorOptimizer.step();

    const losses: StepLosses = {
      discriminator: discriminatorLoss.item(),
      generator: generatorLoss.item(),
      information: information.total?.item() ?? 0,
      categorical: information.categorical?.item() ?? 0,
      continuous: information.continuous?.item() ?? 0,
      realScore: realLogits.sigmoid().mean().item(),
      fakeScore: fakeLogits.sigmoid().mean().item(),
    };
    if (supervised) losses.supervised = supervised.item();
    if (realInformation) losses.realInformation = realInformation.item();
    if (invariance) losses.invariance = invariance.item();
    if (prediction.continuousLogStd) {
      losses.continuousStd = prediction.continuousLogStd.detach().exp().mean(0).toArray();
    }
    return losses;
  });
}

/**
 * -I(x; c) of a categorical code under Q on a batch of images, from Q's logits [batch, K]: the
 * mean entropy of each image's prediction (low when Q is sure) minus the entropy of the batch's
 * mean prediction (high when every value is used as often).
 */
export function negativeInformation(logits: Tensor): Tensor {
  return tidy(() => {
    const logProbabilities = logits.logSoftmax(1);
    const probabilities = logProbabilities.exp();
    const conditional = probabilities.mul(logProbabilities).sum(1).mean().neg();
    const marginal = probabilities.mean(0);
    const marginalEntropy = marginal.mul(marginal.clamp(1e-12, 1).log()).sum().neg();
    return conditional.sub(marginalEntropy);
  });
}
