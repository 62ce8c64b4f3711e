/**
 * The `infogan evaluate` config: which run and checkpoint to read, which labelled images to run
 * its Q head over, and where to write the scores (JSON) and the optional HTML report.
 */
import * as os from 'node:os';
import * as path from 'node:path';

import { UserError } from '../util/log';
import { FlagDef, formatHelp, parseCommandLine } from './flags';

/** Everything `infogan evaluate` needs; each field is set by the flag named in its comment. */
export interface EvaluateConfig {
  /** `--run DIR`: the run folder (required). */
  run: string;
  /** `--checkpoint N`: the checkpoint of iteration N; undefined = the newest. */
  checkpoint?: number;
  /** `--dataset DIR`: labelled images; undefined = the run's own, preprocessed as in training. */
  dataset?: string;
  /** `--labels FILE`: CelebA-style attribute list; undefined = the run's, or one by the images. */
  labels?: string;
  /** `--max_images N`: a seeded random subset (the run's seed). Default: 10000. */
  maxImages: number;
  /** `--batch_size N`: images per pass through Q. Default: 256. */
  batchSize: number;
  /** `--out FILE.json`: the scores; parseEvaluateArgs fills in `<run>/evaluation.json`. */
  out: string;
  /** `--report FILE.html`: one self-contained page of traversals and scores; undefined = none. */
  report?: string;
  /** `--threads N`: CPU threads for decoding and the engine. Default: all cores. */
  threads: number;
  /** `--quiet`: only warnings and errors. */
  quiet: boolean;
}

/** Every default of `infogan evaluate`; `run` has none and `out` depends on it. */
export const DEFAULT_EVALUATE_CONFIG: Readonly<Omit<EvaluateConfig, 'run' | 'out'>> =
  Object.freeze({ maxImages: 10000, batchSize: 256, threads: os.availableParallelism(),
    quiet: false });

type EvaluateFlag = FlagDef<EvaluateConfig>;

/** The flag table of `infogan evaluate`, in help order. */
export const EVALUATE_FLAGS: readonly EvaluateFlag[] = [
  {
    name: 'run', key: 'run', kind: 'string', metavar: 'DIR', group: 'What',
    help: 'run folder written by infogan train', required: true,
  },
  {
    name: 'checkpoint', key: 'checkpoint', kind: 'int', min: 0, group: 'What',
    help: 'iteration of the checkpoint to load', defaultText: 'the newest',
  },
  {
    name: 'dataset', key: 'dataset', kind: 'string', metavar: 'DIR', group: 'Data',
    help: 'labelled images, preprocessed with the run\'s --scale_dataset (or resized to its ' +
      'image size), --force_grayscale and --squash', defaultText: 'the run\'s own --dataset',
  },
  {
    name: 'labels', key: 'labels', kind: 'string', metavar: 'FILE', group: 'Data',
    help: 'a CelebA-style attribute list (list_attr_celeba.txt layout) or "file class" lines, as ' +
      'for train',
    defaultText: 'without --dataset the run\'s --labels; else list_attr_celeba.txt beside the ' +
      'images',
  },
  {
    name: 'max_images', key: 'maxImages', kind: 'int', min: 1, group: 'Data',
    help: 'a random subset of N images (by the run\'s --seed)',
  },
  {
    name: 'batch_size', key: 'batchSize', kind: 'int', min: 1, group: 'Data',
    help: 'images per pass through the Q head',
  },
  {
    name: 'threads', key: 'threads', kind: 'int', min: 1, max: os.availableParallelism(),
    group: 'Data',
    help: 'CPU threads for decoding and the engine',
    defaultText: `all cores, here ${os.availableParallelism()}`,
  },
  {
    name: 'out', key: 'out', kind: 'string', metavar: 'FILE.json', group: 'Output',
    help: 'every code\'s scores, as JSON',
    defaultText: '<run>/evaluation.json; with --dataset DIR, <run>/evaluation-<DIR\'s name>.json',
  },
  {
    name: 'report', key: 'report', kind: 'string', metavar: 'FILE.html', group: 'Output',
    help: 'also write one self-contained page: each code\'s traversal beside its best matches',
  },
  {
    name: 'quiet', key: 'quiet', kind: 'boolean', group: 'Output',
    help: 'only warnings and errors',
  },
];

/**
 * Parses `infogan evaluate` flags into a complete config, or 'help' for `--help`.
 * Throws a one-line UserError with exit code 2 for any bad flag or value, a missing --run, and an
 * --out or --report with the wrong extension.
 */
export function parseEvaluateArgs(argv: readonly string[]): EvaluateConfig | 'help' {
  const defaults: EvaluateConfig = { ...DEFAULT_EVALUATE_CONFIG, run: '', out: '' };
  const parsed = parseCommandLine(argv, EVALUATE_FLAGS, defaults, 'evaluate');
  if (parsed === 'help') return parsed;
  const { config, given } = parsed;
  if (!given.has('run')) usageError('infogan evaluate needs --run DIR, the run to evaluate');
  // Scores on other images go beside the run's own, not over them (export embeds the own ones).
  if (!given.has('out')) {
    const other = config.dataset === undefined ? '' :
      `-${path.basename(path.resolve(config.dataset)).replace(/[^\w.-]+/g, '_')}`;
    config.out = path.join(config.run, `evaluation${other}.json`);
  }
  if (path.extname(config.out).toLowerCase() !== '.json') {
    usageError(`--out must name a .json file, got "${config.out}"`);
  }
  const report = config.report;
  if (report !== undefined && !['.html', '.htm'].includes(path.extname(report).toLowerCase())) {
    usageError(`--report must name a .html file, got "${report}"`);
  }
  return config;
}

function usageError(message: string): never {
  throw new UserError(message, 2);
}

/** The help text of `infogan evaluate`. */
export function evaluateHelp(): string {
  const layout = {
    usage: 'infogan evaluate --run DIR [flags]',
    summary: [
      'Runs a trained run\'s Q head over labelled real images and scores what each latent code ' +
        'learned: a categorical code against classes (accuracy after the best one-to-one ' +
        'matching of its values to classes, NMI, confusion matrix), any code against binary ' +
        'attributes (ROC AUC) and continuous labels (Pearson correlation).',
    ],
    groups: ['What', 'Data', 'Output'],
    notes: [
      'Labels come with the data: MNIST digits, identities from sub-folder names (LFW, Yale B),',
      'CelebA\'s list_attr_celeba.txt, Yale B light directions from file names. Without',
      '--dataset the images are a random --max_images of the run\'s own --dataset (the images',
      'it trained on, unless it trained on a --max_images subset); --dataset DIR scores others.',
      '',
      'Examples:',
      '  infogan evaluate --run runs/mnist',
      '  infogan evaluate --run runs/faces --max_images 5000 --report faces.html',
    ],
  };
  return formatHelp(layout, EVALUATE_FLAGS, { ...DEFAULT_EVALUATE_CONFIG, run: '', out: '' });
}
