/**
 * `infogan export`: a trained run's generator as files another program can load without this
 * toolkit: `generator.safetensors` (the generator's parameters and batch-norm statistics only,
 * named as in the checkpoints, `generator.<layer>.<tensor>`) and `metadata.json` (how to build
 * its input: the latent layout, the image shape, the architecture spec, and evaluate's findings).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrainConfig } from '../config/train';
import type { ExportConfig } from '../config/explore';
import type { ImageShape, InfoGAN } from '../model/infogan';
import { formatSpec } from '../model/spec';
import { encodeSafetensors } from '../torch';
import { loadTrainedModel } from '../train/run';
import { makeFolder, writeFileAtomic } from '../util/atomic';
import { UserError, type Logger } from '../util/log';
import { readEvaluation } from './evaluation';

export const EXPORT_FORMAT = 'infogan-generator/1';
export const WEIGHTS_FILE = 'generator.safetensors';
export const METADATA_FILE = 'metadata.json';

/** One slice of the latent vector. */
export interface LatentPart {
  /** `style`, `categorical_0`, `continuous_1`. */
  name: string;
  offset: number;
  size: number;
  /** How training drew it. */
  prior: `normal(0, ${number})` | 'one-hot uniform' | 'uniform(-1, 1)';
}

/** The content of metadata.json. */
export interface ExportMetadata {
  format: string;
  /** The run folder's name. */
  run: string;
  /** Training steps behind these weights. */
  iteration: number;
  /** Output [batch, channels, height, width] in [0, 1]. */
  image: ImageShape;
  latent: {
    size: number;
    styleSize: number;
    categorical: number[];
    numContinuous: number;
    /** Slices in order: style, each categorical code one-hot, then the continuous codes. */
    layout: LatentPart[];
  };
  generator: {
    spec: string;
    useBatchNorm: boolean;
    /** Tensor names in generator.safetensors with their shapes. */
    tensors: Record<string, number[]>;
  };
  /** `<run>/evaluation.json` as written by infogan evaluate, or null. */
  evaluation: unknown;
}

/** The exported files' content, built in memory (the explore server serves the same bytes). */
export interface ExportedModel {
  metadata: ExportMetadata;
  weights: Buffer;
}

/** Builds the export of `model`, trained `iteration` steps with `config`, from `runDir`. */
export function exportModel(model: InfoGAN, config: TrainConfig, iteration: number,
  runDir: string): ExportedModel {
  const tensors = new Map([...model.generator.stateDict()].map(([name, t]) =>
    [`generator.${name}`, t]));
  const layout = { categorical: model.categorical, numContinuous: model.numContinuous };
  const metadata: ExportMetadata = {
    format: EXPORT_FORMAT,
    run: path.basename(path.resolve(runDir)),
    iteration,
    image: model.image,
    latent: {
      size: model.latentSize,
      styleSize: config.styleSize,
      categorical: model.categorical,
      numContinuous: model.numContinuous,
      layout: latentLayout(config.styleSize, layout.categorical, layout.numContinuous,
        config.styleStd),
    },
    generator: {
      spec: formatSpec(config.generator),
      useBatchNorm: config.useBatchNorm,
      tensors: Object.fromEntries([...tensors].map(([name, t]) => [name, [...t.shape]])),
    },
    evaluation: readEvaluation(runDir, layout).raw,
  };
  const weights = encodeSafetensors(tensors, { format: EXPORT_FORMAT,
    metadata: JSON.stringify(metadata.latent) });
  return { metadata, weights };
}

export function latentLayout(styleSize: number, categorical: number[], numContinuous: number,
  styleStd = 1): LatentPart[] {
  const parts: LatentPart[] = [];
  let offset = 0;
  const add = (name: string, size: number, prior: LatentPart['prior']) => {
    if (size > 0) parts.push({ name, offset, size, prior });
    offset += size;
  };
  add('style', styleSize, `normal(0, ${styleStd})`);
  categorical.forEach((k, i) => add(`categorical_${i}`, k, 'one-hot uniform'));
  for (let j = 0; j < numContinuous; j++) add(`continuous_${j}`, 1, 'uniform(-1, 1)');
  return parts;
}

/** Writes generator.safetensors and metadata.json into `config.out`; returns their paths. */
export function exportRun(config: ExportConfig, log: Logger): string[] {
  if (fs.existsSync(config.out) && !fs.statSync(config.out).isDirectory()) {
    throw new UserError(`--out ${config.out} is a file; give a folder to write the export into`, 2);
  }
  const { model, config: trainConfig, iteration } = loadTrainedModel(config.run, log,
    config.checkpoint);
  try {
    const exported = exportModel(model, trainConfig, iteration, config.run);
    const weightsFile = path.join(config.out, WEIGHTS_FILE);
    const metadataFile = path.join(config.out, METADATA_FILE);
    try {
      makeFolder(config.out);
      writeFileAtomic(weightsFile, exported.weights);
      writeFileAtomic(metadataFile, JSON.stringify(exported.metadata, null, 2) + '\n');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (!code) throw error;
      throw new UserError(`cannot write --out ${config.out} (${code}); choose a folder you can ` +
        'write to');
    }
    const count = Object.keys(exported.metadata.generator.tensors).length;
    log.info(`wrote ${weightsFile} (${count} tensors, ${exported.weights.length} bytes, ` +
      `iteration ${iteration}) and ${metadataFile}` +
      (exported.metadata.evaluation === null ? '' : ' with the evaluation results'));
    return [weightsFile, metadataFile];
  } finally {
    model.dispose();
  }
}
