/**
 * Reading a run folder back: its config, the model's image shape, and a trained model from one of
 * its checkpoints. Used by `sample`, and by anything else that looks at a trained generator.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { numberFits } from '../config/flags';
import { DEFAULT_TRAIN_CONFIG, TRAIN_FLAGS, type TrainConfig } from '../config/train';
import { InfoGAN, type ImageShape } from '../model/infogan';
import { parseSpec } from '../model/spec';
import { parseAugmentations } from './augment';
import { UserError, type Logger } from '../util/log';
import { loadCheckpoint, restoreModel } from './checkpoint';

/** What `train` writes to <run>/model.json: enough to rebuild the networks. */
export interface ModelRecord {
  image: ImageShape;
  latentSize: number;
  categorical: number[];
  numContinuous: number;
  styleSize: number;
  fixStd: boolean;
}

export function modelRecord(model: InfoGAN): ModelRecord {
  return {
    image: model.image,
    latentSize: model.latentSize,
    categorical: model.categorical,
    numContinuous: model.numContinuous,
    styleSize: model.config.styleSize,
    fixStd: model.config.fixStd,
  };
}

function readJson(file: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`${file} not found: is ${path.dirname(file)} a run folder written by ` +
      `infogan train? (${what})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UserError(`${file} is not valid JSON (${what}); the run folder is damaged`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserError(`${file} is damaged: expected a JSON object (${what})`);
  }
  return value as Record<string, unknown>;
}

/** The config a run was trained with, spec strings parsed back into layers. */
/**
 * The layout of config.json that `train` writes now. Format 1 (no `format` field) predates
 * --style_std (its style noise had std 1) and had batch norm on the discriminator's first layer
 * whenever --use_batch_norm was on.
 */
export const CONFIG_FORMAT = 2;

export function readRunConfig(runDir: string): TrainConfig {
  const file = path.join(runDir, 'config.json');
  const { format, ...raw } = readJson(file, 'the run settings');
  if (format !== undefined && !(Number.isInteger(format) && (format as number) >= 1 &&
    (format as number) <= CONFIG_FORMAT)) {
    throw new UserError(`${file} has format ${JSON.stringify(format)}; this infogan reads ` +
      `formats 1-${CONFIG_FORMAT} (a newer infogan, or a damaged file)`);
  }
  for (const key of ['generator', 'discriminator']) {
    if (typeof raw[key] !== 'string') {
      throw new UserError(`${file} is damaged: it has no ${key} spec`);
    }
  }
  let config: TrainConfig;
  try {
    // Settings added after the run was made take their defaults.
    config = {
      ...DEFAULT_TRAIN_CONFIG,
      ...raw,
      generator: parseSpec(String(raw.generator), 'generator'),
      discriminator: parseSpec(String(raw.discriminator), 'discriminator'),
      augment: parseAugmentations(Array.isArray(raw.augment) ? raw.augment.join(',')
        : String(raw.augment ?? '')),
      // Runs from before these terms trained without them, whatever the defaults are now.
      realInfoLambda: raw.realInfoLambda ?? 0,
      invarianceLambda: raw.invarianceLambda ?? 0,
    } as unknown as TrainConfig;
  } catch (error) {
    // Not a usage error: the spec came from the file, not the command line.
    throw new UserError(`${file} is damaged: ${(error as Error).message}`);
  }
  checkSavedNumbers(config, file);
  if (format === undefined || format === 1) {
    // Rebuild a format-1 run exactly as it was trained.
    config.styleStd = 1;
    const [first, ...rest] = config.discriminator;
    if (first && first.kind !== 'reshape' && first.batchNorm === undefined) {
      config.discriminator = [{ ...first, batchNorm: config.useBatchNorm }, ...rest];
    }
  }
  return config;
}

/**
 * Every numeric setting of a saved config must still be what its flag accepts: a hand-edited or
 * damaged config.json is named with its field, not met later as an engine error.
 */
function checkSavedNumbers(config: TrainConfig, file: string): void {
  for (const def of TRAIN_FLAGS) {
    if (def.kind !== 'int' && def.kind !== 'float') continue;
    const value = config[def.key] as unknown;
    if (value === undefined) continue;
    const numbers = def.arity === 'any' ? value : def.arity === undefined || def.arity === 1
      ? [value] : null;
    if (numbers === null) continue;
    if (!Array.isArray(numbers)) {
      throw new UserError(`${file} is damaged: ${String(def.key)} is ${JSON.stringify(value)}, ` +
        `expected a list of numbers for --${def.name}`);
    }
    const rule = { integer: def.kind === 'int', min: def.min, minExclusive: def.minExclusive,
      // A saved thread count from a larger machine is held to the cores when it is used.
      max: def.key === 'threads' ? undefined : def.max };
    if (!numbers.every((n) => numberFits(n, rule))) {
      throw new UserError(`${file} is damaged: ${String(def.key)} is ${JSON.stringify(value)}, ` +
        `which --${def.name} does not accept`);
    }
  }
}

export function readModelRecord(runDir: string): ModelRecord {
  return readJson(path.join(runDir, 'model.json'), 'the model layout') as unknown as ModelRecord;
}

/** The trained model of a run, in evaluation mode, from its newest (or the given) checkpoint. */
export function loadTrainedModel(runDir: string, log: Logger, iteration?: number):
  { model: InfoGAN; config: TrainConfig; iteration: number } {
  if (!fs.existsSync(runDir)) {
    throw new UserError(`--run ${runDir}: no such folder; expected a run folder written by ` +
      'infogan train', 2);
  }
  if (!fs.statSync(runDir).isDirectory() || !fs.existsSync(path.join(runDir, 'config.json'))) {
    throw new UserError(`--run ${runDir}: no config.json there; expected a run folder written ` +
      'by infogan train', 2);
  }
  const config = readRunConfig(runDir);
  const record = readModelRecord(runDir);
  const model = new InfoGAN(config, record.image);
  const checkpoint = loadCheckpoint(runDir, log, iteration);
  try {
    restoreModel(model, checkpoint);
  } catch (error) {
    model.dispose();
    throw new UserError(`${checkpoint.file} does not match ${runDir}/config.json: ` +
      (error as Error).message);
  } finally {
    for (const t of checkpoint.tensors.values()) t.dispose();
  }
  model.train(false);
  return { model, config, iteration: checkpoint.progress.iteration };
}
