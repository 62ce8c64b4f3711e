/**
 * The `infogan sample` config: which run and checkpoint to draw from, what to draw (a latent
 * traversal of one code or of every code, or random samples) and where to write the PNG.
 */
import * as os from 'node:os';
import * as path from 'node:path';

import { UserError } from '../util/log';
import { FlagDef, formatHelp, nearestName, parseCommandLine } from './flags';

export type CodeKind = 'categorical' | 'continuous';

/** One latent code of a run: `categorical:0` is its first categorical code. */
export interface CodeRef {
  kind: CodeKind;
  /** 0-based, among the codes of that kind. */
  index: number;
}

export type SampleMode = 'traversal' | 'random';

/** Everything `infogan sample` needs; each field is set by the flag named in its comment. */
export interface SampleConfig {
  /** `--run DIR`: the run folder (required). */
  run: string;
  /** `--checkpoint N`: the checkpoint of iteration N; undefined = the newest. */
  checkpoint?: number;
  /** `--out FILE.png` (required). A traversal of every code writes one file per code. */
  out: string;
  /** `--mode`: traversal (vary one code, hold the rest) or random samples. Default: traversal. */
  mode: SampleMode;
  /** `--code categorical:I|continuous:I`: the code to traverse; undefined = every code. */
  code?: CodeRef;
  /** `--range LOW HIGH`: values a continuous code runs through. Default: [-2, 2]. */
  range: [number, number];
  /** `--steps N`: columns of a continuous traversal. Default: 10. */
  steps: number;
  /**
   * `--rows N`: traversal: one row per fixed noise sample, default TRAVERSAL_ROWS;
   * random: grid rows, default a near-square grid. See gridRows.
   */
  rows?: number;
  /** `--count N`: images in random mode. Default: 64. */
  count: number;
  /** `--seed S`: picks the noise, so the same seed gives the same pictures. Default: 1234. */
  seed: number;
  /** `--threads N`: CPU threads for the engine. Default: all cores. */
  threads: number;
}

/** One picture holds at most this many images a side (rows, columns, random count's rows). */
const MAX_SIDE = 256;

/** Every default of `infogan sample`; `run` and `out` have none. */
export const DEFAULT_SAMPLE_CONFIG: Readonly<Omit<SampleConfig, 'run' | 'out'>> = Object.freeze({
  mode: 'traversal',
  range: Object.freeze([-2, 2]) as [number, number],
  steps: 10,
  count: 64,
  seed: 1234,
  threads: os.availableParallelism(),
});

/** Rows of a traversal when --rows is not given. */
export const TRAVERSAL_ROWS = 10;

const CODE_KINDS: Record<string, CodeKind> = {
  categorical: 'categorical',
  cat: 'categorical',
  continuous: 'continuous',
  cont: 'continuous',
};

type SampleFlag = FlagDef<SampleConfig>;

/** The flag table of `infogan sample`, in help order. */
export const SAMPLE_FLAGS: readonly SampleFlag[] = [
  {
    name: 'run',
    key: 'run',
    kind: 'string',
    metavar: 'DIR',
    group: 'What',
    help: 'run folder written by infogan train',
    required: true,
  },
  {
    name: 'checkpoint',
    key: 'checkpoint',
    kind: 'int',
    min: 0,
    group: 'What',
    help: 'iteration of the checkpoint to load',
    defaultText: 'the newest',
  },
  {
    name: 'mode',
    key: 'mode',
    kind: 'choice',
    choices: ['traversal', 'random'],
    group: 'What',
    help: 'vary one code holding the rest, or draw random samples',
  },
  {
    name: 'code',
    key: 'code',
    kind: 'string',
    metavar: 'categorical:I|continuous:I',
    group: 'Traversal',
    help: 'the code to traverse, 0-based within its kind',
    defaultText: 'every code, one file each',
    convert: (value) => parseCodeRef(value as string),
  },
  {
    name: 'range',
    key: 'range',
    kind: 'float',
    arity: 2,
    metavar: 'LOW HIGH',
    group: 'Traversal',
    help: 'values a continuous code runs through',
  },
  {
    name: 'steps',
    key: 'steps',
    kind: 'int',
    min: 2,
    max: MAX_SIDE,
    group: 'Traversal',
    help: 'columns of a continuous traversal',
  },
  {
    name: 'rows',
    key: 'rows',
    kind: 'int',
    min: 1,
    max: MAX_SIDE,
    group: 'Traversal',
    help: 'rows, each from different noise (random mode: rows of the grid)',
    defaultText: `${TRAVERSAL_ROWS}; random mode: a near-square grid`,
  },
  {
    name: 'count', key: 'count', kind: 'int', min: 1, max: MAX_SIDE * MAX_SIDE, group: 'Random',
    help: 'images to draw',
  },
  {
    name: 'out',
    key: 'out',
    kind: 'string',
    metavar: 'FILE.png',
    group: 'Output',
    help: 'image to write; a traversal of every code writes FILE-categorical0.png, ...',
    required: true,
  },
  {
    name: 'seed',
    key: 'seed',
    kind: 'int',
    min: 0,
    max: 2 ** 32 - 1,
    metavar: 'S',
    group: 'Output',
    help: 'noise seed; the same seed draws the same pictures',
  },
  {
    name: 'threads', key: 'threads', kind: 'int', min: 1, max: os.availableParallelism(),
    group: 'Output', help: 'CPU threads for the engine',
    defaultText: `all cores, here ${os.availableParallelism()}`,
  },
];

/** Flags that only make sense in one mode, and the mode. */
const MODE_ONLY: Partial<Record<keyof SampleConfig, SampleMode>> = {
  code: 'traversal',
  range: 'traversal',
  steps: 'traversal',
  count: 'random',
};

/**
 * Parses `infogan sample` flags into a complete config, or 'help' for `--help`.
 * Throws a one-line UserError with exit code 2 for any bad flag or value, a missing --run or
 * --out, and flags that do not apply to the chosen --mode.
 */
export function parseSampleArgs(argv: readonly string[]): SampleConfig | 'help' {
  const defaults: SampleConfig = { ...DEFAULT_SAMPLE_CONFIG, run: '', out: '' };
  const parsed = parseCommandLine(argv, SAMPLE_FLAGS, defaults, 'sample');
  if (parsed === 'help') return parsed;
  const { config, given } = parsed;
  if (!given.has('run')) usageError('infogan sample needs --run DIR, the run to sample from');
  if (!given.has('out')) usageError('infogan sample needs --out FILE.png, the image to write');
  if (path.extname(config.out).toLowerCase() !== '.png') {
    usageError(`--out must name a .png file, got "${config.out}"`);
  }
  for (const key of given) checkMode(key, config.mode);
  checkTraversal(config, given);
  return config;
}

function checkMode(key: keyof SampleConfig, mode: SampleMode): void {
  const only = MODE_ONLY[key];
  if (only === undefined || only === mode) return;
  const flag = SAMPLE_FLAGS.find((def) => def.key === key)?.name;
  usageError(`--${flag} only applies to --mode ${only} (this is --mode ${mode})`);
}

function checkTraversal(config: SampleConfig, given: Set<keyof SampleConfig>): void {
  const [low, high] = config.range;
  if (!(low < high)) usageError(`--range needs LOW < HIGH, got ${low} ${high}`);
  if (config.code?.kind === 'categorical' && (given.has('range') || given.has('steps'))) {
    usageError('--range and --steps are for continuous codes; a categorical one shows each value');
  }
}

function usageError(message: string): never {
  throw new UserError(message, 2);
}

/** Reads `categorical:0` or `continuous:1` (also `cat:0`, `cont:1`). */
export function parseCodeRef(text: string): CodeRef {
  const expected = `--code expects categorical:INDEX or continuous:INDEX, got "${text}"`;
  const match = /^([a-z_]+):(\d+)$/i.exec(text.trim());
  if (match === null) usageError(expected);
  const kind = CODE_KINDS[match[1].toLowerCase()];
  if (kind === undefined) {
    const nearest = nearestName(match[1].toLowerCase(), Object.keys(CODE_KINDS));
    usageError(nearest ? `${expected}; did you mean ${CODE_KINDS[nearest]}?` : expected);
  }
  return { kind, index: Number(match[2]) };
}

/** `categorical:0`: a code as written on the command line. */
export function formatCodeRef(code: CodeRef): string {
  return `${code.kind}:${code.index}`;
}

/** One code's file when --code was not given: `faces.png` -> `faces-continuous1.png`. */
export function traversalOutputPath(out: string, code: CodeRef): string {
  const extension = path.extname(out);
  return `${out.slice(0, out.length - extension.length)}-${code.kind}${code.index}${extension}`;
}

/** Rows of the picture: --rows, else TRAVERSAL_ROWS for traversals or a near-square grid. */
export function gridRows(config: SampleConfig): number {
  if (config.rows !== undefined) return config.rows;
  return config.mode === 'traversal' ? TRAVERSAL_ROWS : Math.ceil(Math.sqrt(config.count));
}

/** The help text of `infogan sample`. */
export function sampleHelp(): string {
  const layout = {
    usage: 'infogan sample --run DIR --out FILE.png [flags]',
    summary: [
      'Draws images from a trained run: a latent traversal (one code varied across the columns,' +
        ' the rest of the noise fixed per row) or random samples.',
    ],
    groups: ['What', 'Traversal', 'Random', 'Output'],
    notes: [
      'Examples:',
      '  infogan sample --run runs/faces --out faces.png',
      '  infogan sample --run runs/faces --code continuous:0 --range -3 3 --out turn.png',
      '  infogan sample --run runs/faces --mode random --count 100 --out random.png',
    ],
  };
  return formatHelp(layout, SAMPLE_FLAGS, { ...DEFAULT_SAMPLE_CONFIG, run: '', out: '' });
}
