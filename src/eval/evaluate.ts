/**
 * `infogan evaluate`: what did each code learn? Runs a trained run's Q head over labelled real
 * images, preprocessed exactly as in training, and scores every code against every label:
 *
 *   console          one line per code and kind of label, its best match and score
 *   <out>.json       every score (default <run>/evaluation.json)
 *   <report>.html    with --report: each code's traversal grid beside its best matches
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EvaluateConfig } from '../config/evaluate';
import type { TrainConfig } from '../config/train';
import { loadDataset } from '../data';
import type { ImageDataset } from '../data/types';
import type { InfoGAN } from '../model/infogan';
import { noGrad, setThreads } from '../torch';
import { writeOutputFile } from '../util/atomic';
import { UserError, type Logger } from '../util/log';
import { traversalGrids } from '../train/grids';
import { loadTrainedModel } from '../train/run';
import { predictCodes } from './predict';
import { reportHtml } from './report';
import { labelWarnings, scoreCodes, summaryLines, type CodeEvaluation } from './scores';

/** What evaluation.json holds. */
export interface Evaluation {
  run: string;
  /** The checkpoint's training iteration. */
  iteration: number;
  /** Where the images came from (a folder, or `bundled:mnist`). */
  dataset: string;
  images: number;
  /** The labels found: how many classes, attributes and continuous labels. */
  labels: { classes: number; attributes: number; continuous: number };
  /** How NMI is normalised: I(class; value) / ((H(class) + H(value)) / 2). */
  nmiNormalisation: 'arithmetic';
  codes: CodeEvaluation[];
  /**
   * Why some scores say nothing, one line each as printed ([] when none): fewer than 2 classes
   * among the labelled images, attributes with one value on every image (no code is scored
   * against them).
   */
  warnings: string[];
}

/** Evaluates the run, prints the table, writes the JSON (and the report); returns the scores. */
export async function evaluate(config: EvaluateConfig, log: Logger): Promise<Evaluation> {
  setThreads(config.threads, (line) => log.warn(line));
  const loaded = loadTrainedModel(config.run, log, config.checkpoint);
  const { model, config: trained, iteration } = loaded;
  try {
    if (model.categorical.length + model.numContinuous === 0) {
      throw new UserError(`--run ${config.run} has no latent codes to evaluate (trained with ` +
        '--noinfogan, or with no categorical or continuous codes)');
    }
    // Outputs that cannot be written are found before the work, not after it.
    writeOutputFile(config.out, '', '--out', true);
    if (config.report) writeOutputFile(config.report, '', '--report', true);
    const dataset = await loadEvaluationSet(config, trained, model.image, log);
    checkImageShape(dataset, model, config);
    const labels = dataset.labels;
    if (!labels) {
      throw new UserError(`${dataset.source} has no labels to evaluate against: expected MNIST ` +
        'labels, identity sub-folders, Yale B file names, or a label file (--labels FILE)');
    }
    const bar = log.progress('evaluate', dataset.count);
    const indices = Int32Array.from({ length: dataset.count }, (_, i) => i);
    const outputs = predictCodes(model, dataset, indices, config.batchSize, bar);
    bar.finish();
    const evaluation: Evaluation = {
      run: config.run, iteration, dataset: dataset.source, images: dataset.count,
      labels: {
        classes: labels.classes?.names.length ?? 0,
        attributes: labels.attributes?.names.length ?? 0,
        continuous: labels.continuous?.names.length ?? 0,
      },
      nmiNormalisation: 'arithmetic',
      codes: scoreCodes(model, outputs, labels),
      warnings: labelWarnings(model, labels, dataset.count),
    };
    log.info(`evaluated iteration ${iteration} of ${config.run} on ${dataset.count} images of ` +
      `${dataset.source}`);
    for (const line of summaryLines(evaluation.codes)) log.info(line);
    for (const line of evaluation.warnings) log.warn(line);
    writeOutputFile(config.out, formatJson(evaluation), '--out');
    log.info(`wrote ${config.out}`);
    if (config.report) {
      // The training grids' noise (seed + 1), so the pictures match the run's grids/ folder.
      const grids = noGrad(() => traversalGrids(model, { seed: trained.seed + 1 }));
      writeOutputFile(config.report, reportHtml(evaluation, grids), '--report');
      log.info(`wrote ${config.report}`);
    }
    return evaluation;
  } finally {
    model.dispose();
  }
}

/** The images: --dataset or the run's, with the run's preprocessing and subset seed. */
/**
 * The labelled images, preprocessed as the run's were. A run without --scale_dataset trained on
 * images of its generator's size, so other images (--dataset) are resized to that size.
 */
async function loadEvaluationSet(config: EvaluateConfig, trained: TrainConfig,
  image: { height: number; width: number; channels: number }, log: Logger):
  Promise<ImageDataset> {
  const folder = config.dataset ?? trained.dataset;
  const scale = trained.scale ?? (config.dataset === undefined ? undefined :
    { width: image.width, height: image.height });
  if (config.dataset === undefined && folder !== undefined && !fs.existsSync(folder)) {
    const saved = path.join(config.run, 'config.json');
    throw new UserError(`the run's dataset ${folder} (in ${saved}) is not there; ` +
      'give --dataset DIR', 2);
  }
  return loadDataset({
    // A grey run scores colour images in grey, as it would have seen them.
    dataset: folder, scale, forceGrayscale: trained.forceGrayscale || image.channels === 1,
    squash: trained.squash, maxImages: config.maxImages, seed: trained.seed,
    // The run's label file belongs to its own images, not to other ones.
    cacheDir: trained.cacheDir, threads: config.threads,
    labels: config.labels ?? (config.dataset === undefined ? trained.labels : undefined),
  }, log);
}

function checkImageShape(dataset: ImageDataset, model: InfoGAN, config: EvaluateConfig): void {
  const { height, width, channels } = model.image;
  if (dataset.height === height && dataset.width === width && dataset.channels === channels) return;
  throw new UserError(`${config.dataset ? '--dataset ' : ''}${dataset.source} gives ` +
    `${dataset.width}x${dataset.height}x${dataset.channels} images but ${config.run} was trained ` +
    `on ${width}x${height}x${channels} (width x height x channels); use images like the run's`, 2);
}

/** A JSON number, string, boolean or null, as JSON.stringify writes it. */
const PRIMITIVE = String.raw`(?:"(?:[^"\\\n]|\\.)*"|null|true|false|-?[\d.eE+-]+)`;
const PRIMITIVE_ARRAY =
  new RegExp(String.raw`\[\n\s*(${PRIMITIVE}(?:,\n\s*${PRIMITIVE})*)\n\s*\]`, 'g');

/** Indented JSON, each array of plain values on one line (a confusion matrix reads as a table). */
export function formatJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2);
  const oneLine = (_: string, items: string) => `[${items.split(/,\n\s*/).join(', ')}]`;
  return text.replace(PRIMITIVE_ARRAY, oneLine) + '\n';
}

