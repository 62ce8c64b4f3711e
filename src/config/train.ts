/**
 * The `infogan train` config: one typed object holding every setting of a training run, the
 * defaults in one place (DEFAULT_TRAIN_CONFIG), and the flags that set it, spelled as in the old
 * `train.py`. The config is written into the run folder and every checkpoint; on `--resume` the
 * saved one is compared with the new flags (configDifferences, resumeTrainConfig).
 */
import * as os from 'node:os';
import * as path from 'node:path';

import {
  DEFAULT_DISCRIMINATOR_SPEC,
  DEFAULT_GENERATOR_SPEC,
  formatSpec,
  LayerSpec,
  parseSpec,
} from '../model/spec';
import { type Augmentation, parseAugmentations } from '../train/augment';
import { UserError } from '../util/log';
import { FlagDef, formatHelp, parseCommandLine, ParsedCommandLine } from './flags';

/** Number format of tensors on the device. */
export type Precision = 'float32' | 'bfloat16';

/** Everything a training run needs; each field is set by the flag named in its comment. */
export interface TrainConfig {
  // Data.
  /** `--dataset DIR`: a folder of images or of MNIST idx files; undefined = bundled digits. */
  dataset?: string;
  /** `--max_images N`: a seeded random subset of N images; undefined = all. */
  maxImages?: number;
  /** `--scale_dataset W H`: resize every image; undefined = keep the images' own size. */
  scale?: { width: number; height: number };
  /** `--force_grayscale`: convert colour images to one channel. Default: false. */
  forceGrayscale: boolean;
  /** `--squash`: resize by squashing to the new aspect (old script) instead of centre crop. */
  squash: boolean;
  /** `--labels FILE`: attribute file for evaluation; undefined = one found beside the images. */
  labels?: string;
  /** `--cache_dir DIR`: decoded-dataset cache; undefined = the data layer's `~/.cache/infogan`. */
  cacheDir?: string;
  /** `--labeled N`: class labels of N images tie the first categorical code to the classes
   * (semi-supervised); undefined = unsupervised. */
  labeled?: number;

  // Model.
  /** `--infogan` / `--noinfogan`: add the mutual-information term; off = plain GAN. */
  infogan: boolean;
  /** `--categorical_cardinality K...`: a categorical code of K values per entry. Default: [10]. */
  categoricalCardinality: number[];
  /** `--num_continuous N`: continuous codes, uniform on [-1, 1]. Default: 2. */
  numContinuous: number;
  /** `--style_size N`: incompressible noise dimensions, normal. Default: 62. */
  styleSize: number;
  /** `--style_std X`: the style noise's standard deviation. Default: 0.1, so that at the start
   * the codes carry most of the generator's input and a categorical code takes the data's main
   * classes (MNIST digits) rather than leaving them to the style noise. */
  styleStd: number;
  /** `--use_batch_norm` / `--nouse_batch_norm`: each hidden layer's default (`:bn`/`:nobn`
   * override); never the generator's output or the discriminator's input by default. */
  useBatchNorm: boolean;
  /** `--fix_std` / `--nofix_std`: Q's continuous-code std fixed at 1 instead of learned. */
  fixStd: boolean;
  /** `--info_trains_body`: the discriminator step also minimises the information loss, so the
   * body shared by D and Q learns features that keep the codes recoverable. Default: false. */
  infoTrainsBody: boolean;
  /** `--generator SPEC`: noise vector to image. Default: DEFAULT_GENERATOR_SPEC. */
  generator: LayerSpec[];
  /** `--discriminator SPEC`: image to the hidden layer that the D and Q heads read. */
  discriminator: LayerSpec[];

  // Training.
  /** `--epochs N`. Default: 100. */
  epochs: number;
  /** `--batch_size N`. Default: 64. */
  batchSize: number;
  /** `--generator_lr X`: Adam learning rate of the generator and Q head. Default: 1e-3. */
  generatorLr: number;
  /** `--discriminator_lr X`: Adam learning rate of the discriminator. Default: 2e-4. */
  discriminatorLr: number;
  /** `--categorical_lambda X`: weight of the categorical mutual-information term. Default: 1. */
  categoricalLambda: number;
  /** `--continuous_lambda X`: weight of the continuous mutual-information term. Default: 1. */
  continuousLambda: number;
  /** `--labeled_lambda X`: weight of the supervised cross-entropy of `--labeled`. Default: 1. */
  labeledLambda: number;
  /** `--real_info_lambda X`: weight of the information term on real images: Q's categorical
   * predictions on each real batch are pushed to be confident per image and spread evenly over
   * the values (the batch's mean prediction close to uniform), as in CatGAN. Default: 0. */
  realInfoLambda: number;
  /** `--invariance_lambda X`: weight of the categorical information term on generated images
   * seen through a small random shift, slant and stretch (jitter.ts), so that categories cannot
   * stand for position, slant or width. Default: 1. */
  invarianceLambda: number;
  /** `--augment LIST`: transforms D sees real and generated images through (DiffAugment), so
   * that on a small set it cannot memorise the real images. Default: none. */
  augment: Augmentation[];
  /** `--seed N`: for weights, noise, shuffling and the --max_images subset. Default: 1234. */
  seed: number;
  /** `--precision`: float32 or bfloat16. Default: float32. */
  precision: Precision;
  /** `--on_nan`: on NaN/Inf losses or a discriminator that has won, stop, or roll back to the
   * last checkpoint with halved learning rates. Default: stop. */
  onNan: 'stop' | 'rollback';

  // Run.
  /** `--out DIR`: run folder; parseTrainArgs fills in `runs/<timestamp>` or the --resume folder. */
  out: string;
  /** `--resume DIR`: continue from the newest checkpoint in this run folder. */
  resume?: string;
  /** `--logdir DIR`: TensorBoard events; undefined = `<out>/tensorboard` (parseTrainArgs sets). */
  logdir?: string;
  /** `--plot_every N`: iterations between traversal images. Default: 200. */
  plotEvery: number;
  /** `--checkpoint_every N`: iterations between checkpoints. Default: 1000. */
  checkpointEvery: number;
  /** `--keep_checkpoints K`: newest checkpoints kept, older ones deleted. Default: 3. */
  keepCheckpoints: number;
  /** `--log_every N`: iterations between TensorBoard scalar points. Default: 1. */
  logEvery: number;
  /** `--threads N`: CPU threads for decoding and the engine. Default: all cores. */
  threads: number;
  /** `--quiet`: only warnings and errors. */
  quiet: boolean;
  /** `--debug`: extra detail for bug reports. */
  debug: boolean;
}

/** One field that differs between a saved config and the current one. */
export interface ConfigDifference {
  key: keyof TrainConfig;
  /** The flag that sets it, for messages: `--batch_size`. */
  flag: string;
  saved: unknown;
  current: unknown;
  /** Whether the field may change when resuming a run. */
  safe: boolean;
}

/** Every default of `infogan train` except `out`, which is a fresh timestamped folder per run. */
export const DEFAULT_TRAIN_CONFIG: Readonly<Omit<TrainConfig, 'out'>> = deepFreeze({
  forceGrayscale: false,
  squash: false,
  infogan: true,
  categoricalCardinality: [10],
  numContinuous: 2,
  styleSize: 62,
  styleStd: 0.1,
  useBatchNorm: true,
  fixStd: true,
  infoTrainsBody: false,
  generator: parseSpec(DEFAULT_GENERATOR_SPEC, 'generator'),
  discriminator: parseSpec(DEFAULT_DISCRIMINATOR_SPEC, 'discriminator'),
  epochs: 100,
  batchSize: 64,
  generatorLr: 1e-3,
  discriminatorLr: 2e-4,
  categoricalLambda: 1,
  continuousLambda: 1,
  labeledLambda: 1,
  realInfoLambda: 0,
  invarianceLambda: 1,
  augment: [],
  seed: 1234,
  precision: 'float32',
  onNan: 'stop',
  plotEvery: 200,
  checkpointEvery: 1000,
  keepCheckpoints: 3,
  logEvery: 1,
  threads: os.availableParallelism(),
  quiet: false,
  debug: false,
});

/** Fields that may change when a run is resumed; any other change makes it a different run. */
export const RESUME_SAFE_KEYS: ReadonlySet<keyof TrainConfig> = new Set<keyof TrainConfig>([
  'epochs',
  'onNan',
  'plotEvery',
  'checkpointEvery',
  'keepCheckpoints',
  'logEvery',
  'generatorLr',
  'discriminatorLr',
  // A run whose discriminator has started to memorise a small set may go on with augmentation.
  'augment',
  'threads',
  'quiet',
  'debug',
  'logdir',
  'out',
  'resume',
  'cacheDir',
]);


const SEED_MAX = 2 ** 32 - 1;

/** Keeps a mistyped --scale_dataset (100000) from an allocation of hundreds of GB. */
const MAX_SCALE_SIDE = 16384;

/**
 * Values of one categorical code. Q learns a code by telling its values apart in generated
 * images, drawn --batch_size at a time: at 10,000 values (ten times ImageNet's classes) each value
 * is drawn once in about 150 batches of 64, and each adds an input column to the generator's
 * first layer (1,024 weights by default) and an output to Q. A larger code cannot be learnt in
 * any run we know of and is taken for a typo (100000 for 10 10 10, say).
 */
export const MAX_CATEGORICAL_VALUES = 10000;

/**
 * Values of all categorical codes together: each is an input column of the generator's first
 * layer, so many codes near the limit above (100 of 10,000 made a 4 GB layer, before Adam's two
 * copies) would fail far into the run with an allocation error rather than here.
 */
export const MAX_CATEGORICAL_TOTAL = 2 * MAX_CATEGORICAL_VALUES;

type TrainFlag = FlagDef<TrainConfig>;

const DATA_FLAGS: TrainFlag[] = [
  {
    name: 'dataset',
    key: 'dataset',
    kind: 'string',
    metavar: 'DIR',
    group: 'Data',
    help: 'folder of images (searched recursively) or of MNIST idx files',
    defaultText: 'bundled MNIST digits',
  },
  {
    name: 'max_images',
    key: 'maxImages',
    kind: 'int',
    min: 1,
    group: 'Data',
    help: 'train on a seeded random subset of N images',
    defaultText: 'all',
  },
  {
    name: 'scale_dataset',
    key: 'scale',
    kind: 'int',
    arity: 2,
    min: 1,
    metavar: 'W H',
    group: 'Data',
    help: 'resize every image to W x H pixels (centre crop to that aspect first)',
    defaultText: "the images' own size",
    convert: (value) => ({ width: (value as number[])[0], height: (value as number[])[1] }),
  },
  {
    name: 'force_grayscale',
    key: 'forceGrayscale',
    kind: 'boolean',
    group: 'Data',
    help: 'convert colour images to one channel',
  },
  {
    name: 'squash',
    key: 'squash',
    kind: 'boolean',
    group: 'Data',
    help: 'resize by squashing to W x H (the old script) instead of centre-cropping',
  },
  {
    name: 'labels',
    key: 'labels',
    kind: 'string',
    metavar: 'FILE',
    group: 'Data',
    help: 'labels for an image folder: a CelebA-style attribute list (for evaluate) or ' +
      '"file class" lines (for evaluate and --labeled; file: the path in the folder, or the ' +
      'name alone if unique; a tab before the class if it has spaces)',
    defaultText: 'list_attr_celeba.txt beside the images, if any',
  },
  {
    name: 'labeled',
    key: 'labeled',
    kind: 'int',
    min: 1,
    group: 'Data',
    help: 'semi-supervised: use the class labels of N images (spread evenly over the classes) ' +
      'to tie the first categorical code to the classes',
    defaultText: 'none, unsupervised',
  },
  {
    name: 'cache_dir',
    key: 'cacheDir',
    kind: 'string',
    metavar: 'DIR',
    group: 'Data',
    help: 'where decoded datasets are cached',
    defaultText: '~/.cache/infogan',
  },
];

const MODEL_FLAGS: TrainFlag[] = [
  {
    name: 'infogan',
    key: 'infogan',
    kind: 'boolean',
    group: 'Model',
    help: 'learn interpretable codes (mutual-information term); --noinfogan trains a plain GAN',
  },
  {
    name: 'categorical_cardinality',
    key: 'categoricalCardinality',
    kind: 'int',
    arity: 'any',
    min: 2,
    metavar: 'K...',
    group: 'Model',
    help: 'one categorical code per number, with K values each; the flag alone means none',
  },
  {
    name: 'num_continuous',
    key: 'numContinuous',
    kind: 'int',
    min: 0,
    group: 'Model',
    help: 'continuous codes, uniform on [-1, 1]',
  },
  {
    name: 'style_size',
    key: 'styleSize',
    kind: 'int',
    min: 0,
    group: 'Model',
    help: 'noise dimensions that are not codes (normal, mean 0)',
  },
  {
    name: 'style_std',
    key: 'styleStd',
    kind: 'float',
    min: 0,
    minExclusive: true,
    group: 'Model',
    help: "the style noise's standard deviation; below 1 the codes start with a larger share " +
      "of the generator's input, so a categorical code takes the data's main classes",
  },
  {
    name: 'use_batch_norm',
    key: 'useBatchNorm',
    kind: 'boolean',
    group: 'Model',
    help: "batch normalisation in every layer but the generator's last and the " +
      "discriminator's first, unless a layer ends in :bn or :nobn",
  },
  {
    name: 'fix_std',
    key: 'fixStd',
    kind: 'boolean',
    group: 'Model',
    help: 'fix the std of continuous codes in Q at 1; --nofix_std learns it',
  },
  {
    name: 'info_trains_body',
    key: 'infoTrainsBody',
    kind: 'boolean',
    group: 'Model',
    help: 'the discriminator step also maximises the information term, training the body ' +
      'that D and Q share (as the original InfoGAN)',
  },
  {
    name: 'generator',
    key: 'generator',
    kind: 'string',
    metavar: 'SPEC',
    group: 'Model',
    help: 'generator layers, from the noise vector to the image (see Layer specs)',
    defaultText: "the old script's, below",
    convert: (value) => parseSpec(value as string, 'generator'),
  },
  {
    name: 'discriminator',
    key: 'discriminator',
    kind: 'string',
    metavar: 'SPEC',
    group: 'Model',
    help: 'discriminator layers, from the image to the hidden layer that D and Q read',
    defaultText: "the old script's, below",
    convert: (value) => parseSpec(value as string, 'discriminator'),
  },
];

const TRAINING_FLAGS: TrainFlag[] = [
  {
    name: 'epochs',
    key: 'epochs',
    kind: 'int',
    min: 1,
    group: 'Training',
    help: 'passes over the data',
  },
  {
    name: 'batch_size',
    key: 'batchSize',
    kind: 'int',
    min: 2, // batch norm, and the discriminator's view of real vs fake, need more than one
    group: 'Training',
    help: 'images per step',
  },
  {
    name: 'generator_lr',
    key: 'generatorLr',
    kind: 'float',
    min: 0,
    minExclusive: true,
    group: 'Training',
    help: 'Adam learning rate of the generator and Q head',
  },
  {
    name: 'discriminator_lr',
    key: 'discriminatorLr',
    kind: 'float',
    min: 0,
    minExclusive: true,
    group: 'Training',
    help: 'Adam learning rate of the discriminator',
  },
  {
    name: 'categorical_lambda',
    key: 'categoricalLambda',
    kind: 'float',
    min: 0,
    group: 'Training',
    help: 'weight of the categorical codes in the mutual-information term',
  },
  {
    name: 'continuous_lambda',
    key: 'continuousLambda',
    kind: 'float',
    min: 0,
    group: 'Training',
    help: 'weight of the continuous codes in the mutual-information term',
  },
  {
    name: 'labeled_lambda',
    key: 'labeledLambda',
    kind: 'float',
    min: 0,
    group: 'Training',
    help: 'weight of the cross-entropy on the --labeled images',
  },
  {
    name: 'real_info_lambda',
    key: 'realInfoLambda',
    kind: 'float',
    min: 0,
    group: 'Training',
    help: "weight of the information term on real images: Q's categorical predictions are " +
      'pushed to be confident per image and used evenly over each batch',
  },
  {
    name: 'invariance_lambda',
    key: 'invarianceLambda',
    kind: 'float',
    min: 0,
    group: 'Training',
    help: 'weight of the categorical codes read back from generated images after a small ' +
      'random shift, slant and stretch, so a category cannot mean position, slant or width',
  },
  {
    name: 'augment',
    key: 'augment',
    kind: 'string',
    metavar: 'LIST',
    group: 'Training',
    help: 'transforms the discriminator sees real and generated images through, from ' +
      'translation, cutout, flip (comma-separated), so a small set is not memorised',
    defaultText: 'none',
    convert: (value) => parseAugmentations(value as string),
  },
  {
    name: 'seed',
    key: 'seed',
    kind: 'int',
    min: 0,
    max: SEED_MAX,
    group: 'Training',
    help: 'random seed for weights, noise, shuffling and the --max_images subset',
  },
  {
    name: 'precision',
    key: 'precision',
    kind: 'choice',
    choices: ['float32', 'bfloat16'],
    group: 'Training',
    help: 'number format of tensors on the device',
  },
  {
    name: 'on_nan',
    key: 'onNan',
    kind: 'choice',
    choices: ['stop', 'rollback'],
    group: 'Training',
    help: 'when losses turn NaN/Inf or D wins for good: stop, or roll back to the last ' +
      'checkpoint with halved learning rates',
  },
];

const RUN_FLAGS: TrainFlag[] = [
  {
    name: 'out',
    key: 'out',
    kind: 'string',
    metavar: 'DIR',
    group: 'Run',
    help: 'run folder: config, checkpoints, images, logs',
    defaultText: 'runs/<timestamp>, or the --resume folder',
  },
  {
    name: 'resume',
    key: 'resume',
    kind: 'string',
    metavar: 'DIR',
    group: 'Run',
    help: 'continue the run in DIR from its newest checkpoint',
  },
  {
    name: 'plot_every',
    key: 'plotEvery',
    kind: 'int',
    min: 1,
    group: 'Run',
    help: 'iterations between traversal images',
  },
  {
    name: 'checkpoint_every',
    key: 'checkpointEvery',
    kind: 'int',
    min: 1,
    group: 'Run',
    help: 'iterations between checkpoints',
  },
  {
    name: 'keep_checkpoints',
    key: 'keepCheckpoints',
    kind: 'int',
    min: 1,
    metavar: 'K',
    group: 'Run',
    help: 'newest checkpoints kept; older ones are deleted',
  },
  {
    name: 'log_every',
    key: 'logEvery',
    kind: 'int',
    min: 1,
    group: 'Run',
    help: 'iterations between TensorBoard scalar points',
  },
  {
    name: 'logdir',
    key: 'logdir',
    kind: 'string',
    metavar: 'DIR',
    group: 'Run',
    help: 'TensorBoard event folder',
    defaultText: '<out>/tensorboard',
  },
  {
    name: 'threads',
    key: 'threads',
    kind: 'int',
    min: 1,
    // More threads than cores only slow training down (and a typo could start millions).
    max: os.availableParallelism(),
    group: 'Run',
    help: 'CPU threads for decoding and the engine',
    defaultText: `all cores, here ${DEFAULT_TRAIN_CONFIG.threads}`,
  },
  { name: 'quiet', key: 'quiet', kind: 'boolean', group: 'Run', help: 'only warnings and errors' },
  { name: 'debug', key: 'debug', kind: 'boolean', group: 'Run', help: 'detail for bug reports' },
];

/** The flag table of `infogan train`, in help order. */
export const TRAIN_FLAGS: readonly TrainFlag[] = [
  ...DATA_FLAGS,
  ...MODEL_FLAGS,
  ...TRAINING_FLAGS,
  ...RUN_FLAGS,
];

const TRAIN_HELP_NOTES = [
  'Layer specs (--generator, --discriminator): comma-separated layers, from the input:',
  '  conv:KERNEL:STRIDE:CHANNELS[:ACTIVATION][:bn|:nobn]     convolution',
  '  deconv:KERNEL:STRIDE:CHANNELS[:ACTIVATION][:bn|:nobn]   transposed convolution',
  '  fc:UNITS[:ACTIVATION][:bn|:nobn]                        fully connected (flattens images)',
  '  reshape:HEIGHT:WIDTH:CHANNELS                           vector to an image',
  'ACTIVATION: relu (default), lrelu (leaky_relu), sigmoid, tanh, identity (linear).',
  ':bn / :nobn force batch normalisation on or off for one layer; otherwise --use_batch_norm.',
  'Numbers may be arithmetic: 7x7x128, 8*8*256, (64/8)*(64/8)*256.',
  'Defaults (the old script, 28x28 images):',
  `  --generator ${DEFAULT_GENERATOR_SPEC}`,
  `  --discriminator ${DEFAULT_DISCRIMINATOR_SPEC}`,
  '',
  'Example (64x64 CelebA faces):',
  '  G=fc:1024,fc:8x8x256,reshape:8:8:256,deconv:4:1:256,deconv:4:2:256,deconv:4:2:128',
  '  G=$G,deconv:4:2:64,deconv:4:1:1:sigmoid',
  '  D=conv:4:2:64:relu,conv:4:2:128:relu,conv:4:2:256:relu,conv:4:1:256:relu,conv:4:1:256:relu',
  '  D=$D,fc:1024:relu',
  '  infogan train --dataset celebA/img_align_celeba/ --scale_dataset 64 64 --force_grayscale \\',
  '    --categorical_cardinality 20 20 20 --num_continuous 1 --style_size 128 \\',
  '    --continuous_lambda 10 --plot_every 400 --generator $G --discriminator $D',
];

/**
 * Parses `infogan train` flags into a complete config, or 'help' for `--help`.
 * Fills in `out` (`runs/<timestamp>`, or the --resume folder) and `logdir` (`<out>/tensorboard`).
 * Throws a one-line UserError with exit code 2 for any bad flag or value.
 */
export function parseTrainArgs(argv: readonly string[]): TrainConfig | 'help' {
  const parsed = parseTrainCommandLine(argv);
  return parsed === 'help' ? 'help' : parsed.config;
}

/** Like parseTrainArgs, but also says which fields were set on the command line (for resume). */
export function parseTrainCommandLine(
  argv: readonly string[],
  now = new Date(),
): ParsedCommandLine<TrainConfig> | 'help' {
  const defaults: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, out: '' };
  const parsed = parseCommandLine(argv, TRAIN_FLAGS, defaults, 'train');
  if (parsed === 'help') return parsed;
  const { config, given } = parsed;
  // Paths saved in config.json must still work from another folder (evaluate, resume).
  if (config.dataset !== undefined) config.dataset = path.resolve(config.dataset);
  if (config.labels !== undefined) config.labels = path.resolve(config.labels);
  // A default name is only a suggestion: train() claims it, or the next free one, when it starts.
  if (!given.has('out')) config.out = config.resume ?? defaultRunFolder(now);
  if (!given.has('logdir')) config.logdir = path.join(config.out, 'tensorboard');
  validateTrainConfig(config);
  if (given.has('labeledLambda') && config.labeled === undefined && !config.resume) {
    usageError('--labeled_lambda weighs the --labeled images; give --labeled N too');
  }
  return parsed;
}

/** `runs/2026-12-04_16-47-14`: local time, sortable, one folder per second. */
export function defaultRunFolder(now: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const day = `${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())}`;
  const time = `${two(now.getHours())}-${two(now.getMinutes())}-${two(now.getSeconds())}`;
  return path.join('runs', `${day}_${time}`);
}

/**
 * Checks what no single flag can: that the generator gets some input, InfoGAN has a code to
 * learn, and so on. Throws a one-line UserError (exit code 2) naming the flags involved.
 */
export function validateTrainConfig(config: TrainConfig): void {
  const codes = config.categoricalCardinality.length + config.numContinuous;
  if (config.infogan && codes === 0) {
    usageError(
      '--infogan needs at least one code: give --categorical_cardinality K or --num_continuous N' +
        ' (or use --noinfogan)',
    );
  }
  if (!config.infogan && config.styleSize === 0) {
    usageError("--noinfogan needs --style_size >= 1: style noise is the generator's only input");
  }
  const tooLarge = config.categoricalCardinality.find((k) => k > MAX_CATEGORICAL_VALUES);
  if (config.infogan && tooLarge !== undefined) {
    usageError(`--categorical_cardinality ${tooLarge}: at most ${MAX_CATEGORICAL_VALUES} values ` +
      'a code (Q could not learn to tell more apart); for several codes give several numbers, ' +
      'e.g. 10 10 10');
  }
  const total = config.categoricalCardinality.reduce((sum, k) => sum + k, 0);
  if (config.infogan && total > MAX_CATEGORICAL_TOTAL) {
    usageError(`--categorical_cardinality: ${total} values in all, at most ` +
      `${MAX_CATEGORICAL_TOTAL} (each is an input of the generator's first layer)`);
  }
  const scale = config.scale;
  if (scale && Math.max(scale.width, scale.height) > MAX_SCALE_SIDE) {
    usageError(`--scale_dataset ${scale.width} ${scale.height}: at most ${MAX_SCALE_SIDE} ` +
      'pixels a side');
  }
  if (config.maxImages !== undefined && config.maxImages < config.batchSize) {
    usageError(`--max_images ${config.maxImages} is fewer than --batch_size ${config.batchSize}`);
  }
  if (config.labeled !== undefined && (!config.infogan ||
    config.categoricalCardinality.length === 0)) {
    usageError(`--labeled ${config.labeled} ties the first categorical code to the classes; ` +
      'give one with --categorical_cardinality K (and not --noinfogan)');
  }
  if (config.quiet && config.debug) usageError('--quiet and --debug contradict; give one');
}

function usageError(message: string): never {
  throw new UserError(message, 2);
}

/** The help text of `infogan train`, every flag with its default. */
export function trainHelp(): string {
  const layout = {
    usage: 'infogan train [flags]',
    summary: [
      'Trains an InfoGAN on a folder of images (or the bundled digits) and writes config,' +
        ' checkpoints, traversal images and TensorBoard logs into a run folder.',
      'Flags keep the old train.py names; --kebab-case, --flag=value and --no-flag work too.',
    ],
    groups: ['Data', 'Model', 'Training', 'Run'],
    notes: TRAIN_HELP_NOTES,
  };
  return formatHelp(layout, TRAIN_FLAGS, { ...DEFAULT_TRAIN_CONFIG, out: '' });
}

/**
 * Lists the fields whose values differ between a saved config and the current one, in flag
 * order; `safe` says whether the change is allowed when resuming (see RESUME_SAFE_KEYS).
 */
export function configDifferences(saved: TrainConfig, current: TrainConfig): ConfigDifference[] {
  const fieldsOf = (config: TrainConfig) => Object.keys(config) as (keyof TrainConfig)[];
  const flagKeys = TRAIN_FLAGS.map((def) => def.key);
  const keys = new Set([...flagKeys, ...fieldsOf(saved), ...fieldsOf(current)]);
  const differences: ConfigDifference[] = [];
  for (const key of keys) {
    if (JSON.stringify(saved[key]) === JSON.stringify(current[key])) continue;
    const flag = TRAIN_FLAGS.find((def) => def.key === key)?.name ?? key;
    const safe = RESUME_SAFE_KEYS.has(key);
    differences.push({ key, flag: `--${flag}`, saved: saved[key], current: current[key], safe });
  }
  return differences;
}

/**
 * The config of a resumed run: the saved config, with only what the command line set explicitly
 * (threads included, so a resumed run continues bit for bit); `out` is the --resume folder
 * unless --out is given; `logdir` is `<out>/tensorboard` unless given.
 * Throws a UserError (exit code 2) listing any explicitly given flag that may not change.
 */
export function resumeTrainConfig(
  saved: TrainConfig,
  parsed: ParsedCommandLine<TrainConfig>,
): TrainConfig {
  const { config: current, given } = parsed;
  const refused = configDifferences(saved, current).filter((d) => !d.safe && given.has(d.key));
  if (refused.length > 0) {
    const list = refused.map(
      (d) => `${d.flag} (saved ${describeSetting(d.saved)}, given ${describeSetting(d.current)})`,
    );
    usageError(`cannot change on --resume: ${list.join(', ')}; start a new run without --resume`);
  }
  const merged: TrainConfig = structuredClone(saved);
  // Only what was typed changes: a resumed run keeps even its thread count, since a different
  // count sums in a different order and the run would no longer continue bit for bit.
  const takeCurrent = [...given, 'resume' as const];
  for (const key of takeCurrent) Object.assign(merged, { [key]: current[key] });
  // How much this command prints is its own business, not the run's.
  merged.quiet = current.quiet;
  merged.debug = current.debug;
  merged.out = given.has('out') ? current.out : (current.resume ?? saved.out);
  if (!given.has('logdir')) merged.logdir = path.join(merged.out, 'tensorboard');
  return merged;
}

/** A config value as the user would write it on the command line. */
export function describeSetting(value: unknown): string {
  if (value === undefined) return 'none';
  if (Array.isArray(value) && value.length > 0 && typeof value[0] === 'object') {
    return formatSpec(value as LayerSpec[]);
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return 'none';
    return value.join(typeof value[0] === 'string' ? ',' : ' ');
  }
  if (typeof value === 'object' && value !== null) return Object.values(value).join(' ');
  return String(value);
}

/** Freezes an object and everything inside it, so the shared defaults cannot be edited. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}
