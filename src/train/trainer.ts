/**
 * `infogan train`: loads the data, builds the model, and trains it, writing the run folder:
 *
 *   <out>/config.json               every setting, for --resume and for comparing runs
 *   <out>/checkpoints/              step-<iteration>.safetensors + manifest.json
 *   <out>/grids/                    <code>_iter_<iteration>.png traversals from fixed noise
 *   <out>/tensorboard/              scalars, traversal images, histograms, hyperparameters
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrainConfig } from '../config/train';
import { LoadStopped, loadDataset, plannedImageSize } from '../data';
import { batchToFloat } from '../data/batch';
import { shuffledOrder } from '../data/random';
import type { ImageDataset } from '../data/types';
import { categoricalAccuracy } from '../eval/predict';
import { InfoGAN, checkGeneratorFits } from '../model/infogan';
import { formatSpec } from '../model/spec';
import { EventWriter } from '../tensorboard';
import {
  Adam, Generator, isInterrupted, noGrad, setAutocast, setThreads, tensor, tidy,
} from '../torch';
import { makeFolder, missingFolders, writeFileAtomic } from '../util/atomic';
import { claimNewFolder, lockRunFolder } from '../util/lock';
import { UserError, formatDuration, printable, type Logger } from '../util/log';
import {
  checkpointFolder, loadCheckpoint, newestCheckpoint, restoreTrainingState, saveCheckpoint,
  type LoadedCheckpoint, type Progress, type TrainingState,
} from './checkpoint';
import { partialGridLines, traversalGrids } from './grids';
import { CONFIG_FORMAT, modelRecord } from './run';
import { trainStep, type StepLosses } from './step';
import { labeledBatches, type LabeledBatches } from './supervision';

export interface TrainResult {
  /** Training steps done in total (including those before a resume). */
  iterations: number;
  /** Why it stopped: all epochs done, or a signal asked it to stop early. */
  finished: 'completed' | 'interrupted';
  /** The newest checkpoint written. */
  checkpoint: string;
  /** Per-epoch mean losses of this session, oldest first. */
  epochs: EpochSummary[];
}

/** Step figures that every step has, averaged per epoch. */
type ScalarLosses = Omit<StepLosses, 'continuousStd' | 'supervised' | 'realInformation' |
  'invariance'>;

export interface EpochSummary extends ScalarLosses {
  epoch: number;
  imagesPerSecond: number;
}

export interface TrainHooks {
  /** Checked after each step; when it returns true, training checkpoints and stops. */
  shouldStop?: () => boolean;
  /** Called after each step (tests use it to stop at a chosen iteration). */
  afterStep?: (iteration: number, losses: StepLosses, state: TrainingState) => void;
}

/** The adversarial batch: how many images a step takes; the last partial batch is dropped. */
function batchesPerEpoch(dataset: ImageDataset, batchSize: number): number {
  const batches = Math.floor(dataset.count / batchSize);
  if (batches === 0) {
    throw new UserError(`--batch_size ${batchSize} is larger than the ${dataset.count} images ` +
      `loaded from ${dataset.source}; use a smaller --batch_size`, 2);
  }
  return batches;
}

/**
 * Fails before any work when the run folder (or --logdir) cannot be written. With `claim`, makes
 * a new folder named `out` or, when that is taken, `out-2`, ...; returns the folder made.
 */
function prepareRunFolder(out: string, flag = '--out', what = 'the run folder ', claim = false):
  string {
  try {
    const folder = claim ? claimNewFolder(out) : out;
    makeFolder(folder);
    const probe = path.join(folder, `.write-test-${process.pid}`);
    fs.writeFileSync(probe, 'ok');
    fs.rmSync(probe);
    return folder;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UserError(`cannot write ${what}${flag} ${out} (${code}); ` +
      'choose a folder you can write to');
  }
}

function removeIfEmpty(folder: string): void {
  try {
    fs.rmdirSync(folder);
  } catch {
    // Not empty, or already gone: leave it.
  }
}

/** The config as stored in config.json: spec layers written back as spec strings. */
export function serializableConfig(config: TrainConfig): Record<string, unknown> {
  return { format: CONFIG_FORMAT, ...config, generator: formatSpec(config.generator),
    discriminator: formatSpec(config.discriminator) };
}

/** Below this many images the discriminator can memorise the set; the run suggests --augment. */
const SMALL_SET = 5000;

/** Where a run writes: `out` is a default name (`runs/<timestamp>`), not one the user chose. */
export interface TrainPlace {
  /** When true and `out` is taken, the run claims `out-2`, `out-3`, ... instead. */
  defaultOut?: boolean;
}

export async function train(config: TrainConfig, log: Logger, hooks: TrainHooks = {},
  place: TrainPlace = {}): Promise<TrainResult> {
  setThreads(config.threads, (line) => log.warn(line));
  if (!config.resume && !place.defaultOut && fs.existsSync(path.join(config.out, 'config.json'))) {
    throw new UserError(`--out ${config.out} already holds a run; continue it with --resume ` +
      `${config.out}, or choose a new --out`, 2);
  }
  // The folders this run makes, parents such as the default `runs/` included, so that a dropped
  // run leaves none of them behind empty; the log folder's first, as it may be inside the other.
  const madeForOut = missingFolders(place.defaultOut ? path.dirname(config.out) : config.out);
  const out = prepareRunFolder(config.out, '--out', 'the run folder ', place.defaultOut);
  if (out !== config.out) {
    log.info(`${config.out} is taken by a run started in the same second; this run writes ` +
      `to ${out}`);
    config = movedTo(config, out);
  }
  if (place.defaultOut) madeForOut.unshift(path.resolve(out));
  const newFolder = madeForOut.length > 0;
  const logdir = config.logdir;
  const madeForLogdir = logdir === undefined ? [] : missingFolders(logdir);
  let unlock = () => {};
  const dropEmpty = () => {
    unlock();
    for (const folder of [...madeForLogdir, ...madeForOut]) removeIfEmpty(folder);
  };
  try {
    // Two processes writing one folder would mix their checkpoints, config and event files.
    unlock = lockRunFolder(out, config.resume === out ? '--resume' : '--out');
  } catch (error) {
    dropEmpty();
    throw error;
  }
  if (logdir !== undefined) {
    try {
      prepareRunFolder(logdir, '--logdir', 'TensorBoard logs to ');
    } catch (error) {
      dropEmpty();
      throw error;
    }
  }
  // Quit at once (a second Ctrl-C) before the first checkpoint: the new folder holds nothing to
  // resume, and would only block the same --out.
  const dropUnfinished = () => {
    if (!fs.existsSync(path.join(checkpointFolder(config.out), 'manifest.json'))) {
      fs.rmSync(config.out, { recursive: true, force: true });
      dropEmpty();
    }
  };
  process.on('exit', unlock); // also at a second Ctrl-C, which exits at once
  if (newFolder) process.on('exit', dropUnfinished);
  try {
    return await trainIn(config, log, hooks, dropEmpty);
  } catch (error) {
    if (isInterrupted(error)) {
      // A second Ctrl-C in the middle of a step: the step is dropped, as is a new folder that
      // has no checkpoint yet.
      if (newFolder) dropUnfinished();
      const kept = fs.existsSync(path.join(checkpointFolder(config.out), 'manifest.json'));
      log.warn(kept ? `quit; --resume ${config.out} continues from its last checkpoint`
        : 'quit before the first checkpoint, so nothing was kept');
    }
    throw error;
  } finally {
    process.off('exit', dropUnfinished);
    process.off('exit', unlock);
    unlock();
  }
}

/** `config` writing to `out` instead, its TensorBoard logs too unless --logdir put them apart. */
function movedTo(config: TrainConfig, out: string): TrainConfig {
  const logdir = config.logdir === path.join(config.out, 'tensorboard')
    ? path.join(out, 'tensorboard') : config.logdir;
  return { ...config, out, logdir };
}

/**
 * The data's left-out files, every one of them (the loader's summary names the first few of each
 * kind), in `skipped-files.txt` beside config.json: a path and why on each line.
 */
function writeSkippedList(out: string, dataset: ImageDataset, log: Logger): void {
  const file = path.join(out, 'skipped-files.txt');
  const skipped = dataset.skipped ?? [];
  if (skipped.length === 0) {
    fs.rmSync(file, { force: true }); // from an earlier resume, when the folder held more
    return;
  }
  const lines = skipped.map((s) => `${field(s.relative)}\t${field(s.why)}\n`);
  writeFileAtomic(file, lines.join(''));
  log.info(`the ${skipped.length} files and folders left out are listed in ${file}`);
}

/**
 * A name or reason as one field of a tab-separated line: a backslash, a tab and the control
 * characters printable escapes are written as escapes, so that every line splits in two at its
 * one tab, whatever the file's name holds.
 */
function field(text: string): string {
  return printable(text.replace(/\\/g, '\\\\')).replace(/\t/g, '\\t');
}

function stoppedBeforeTraining(log: Logger, iterations = 0): TrainResult {
  log.info('stopped before the first step; nothing to checkpoint');
  return { iterations, finished: 'interrupted', checkpoint: '', epochs: [] };
}

/** Trains in the prepared run folder; `dropEmpty` removes the folders this run made, if empty. */
async function trainIn(config: TrainConfig, log: Logger, hooks: TrainHooks,
  dropEmpty: () => void): Promise<TrainResult> {
  let dataset: ImageDataset;
  let labeled: LabeledBatches | undefined;
  let state: TrainingState;
  // The checkpoint is read and checked before the data, which may take minutes to decode: a run
  // with no usable checkpoint, or told to train fewer epochs than it has, is refused at once.
  let checkpoint: LoadedCheckpoint | undefined;
  const releaseCheckpoint = () => {
    for (const t of checkpoint?.tensors.values() ?? []) t.dispose();
    checkpoint = undefined;
  };
  try {
    if (config.resume) checkpoint = resumePoint(config, log);
    const datasetOptions = {
      dataset: config.dataset, scale: config.scale, forceGrayscale: config.forceGrayscale,
      maxImages: config.maxImages, seed: config.seed, squash: config.squash,
      cacheDir: config.cacheDir, labels: config.labels, threads: config.threads,
    };
    const planned = plannedImageSize(datasetOptions);
    if (planned) checkGeneratorFits(config, planned);
    dataset = await loadDataset(datasetOptions, log, hooks.shouldStop);
    batchesPerEpoch(dataset, config.batchSize); // a batch larger than the set: refused here
    if (config.labeled !== undefined) {
      const supervision = labeledBatches(dataset, { labeled: config.labeled,
        cardinality: config.infogan ? config.categoricalCardinality : [],
        lambda: config.labeledLambda, batchSize: config.batchSize, seed: config.seed });
      labeled = supervision.batches;
      log.info(supervision.description);
      if (supervision.warning) log.warn(supervision.warning);
    }
    state = createTrainingState(config,
      { height: dataset.height, width: dataset.width, channels: dataset.channels });
  } catch (error) {
    // Refused before anything was written: leave no empty run folder behind.
    releaseCheckpoint();
    dropEmpty();
    if (error instanceof LoadStopped) return stoppedBeforeTraining(log);
    throw error;
  }
  // A Ctrl-C pressed as the last images decoded waits behind this synchronous work: let it in.
  await new Promise((resolve) => setImmediate(resolve));
  if (hooks.shouldStop?.()) {
    // Stopped while the data loaded: nothing trained, so nothing written either.
    releaseCheckpoint();
    disposeState(state);
    dropEmpty();
    return stoppedBeforeTraining(log, state.progress.iteration);
  }
  for (const line of state.model.summary) log.info(line);
  for (const line of partialGridLines(state.model)) log.info(line);
  if (config.augment.length > 0) {
    log.info(`augmentation: the discriminator sees real and generated images through ` +
      `${config.augment.join(', ')}`);
  } else if (dataset.count < SMALL_SET) {
    log.info(`only ${dataset.count} images: if the grids turn to noise as the discriminator ` +
      `learns them by heart, train with --augment translation,cutout`);
  }
  let resumedFrom: string | undefined;
  try {
    if (config.resume) resumedFrom = checkpoint ? resume(state, checkpoint, config, log) : '';
  } finally {
    releaseCheckpoint();
  }
  let events: EventWriter;
  try {
    // Opened first: a --logdir that cannot be written leaves no half-made run folder behind.
    events = tolerateDiskErrors(new EventWriter(config.logdir ??
      path.join(config.out, 'tensorboard'), { resume: Boolean(config.resume) }), log);
  } catch (error) {
    disposeState(state);
    dropEmpty();
    throw error;
  }
  writeFileAtomic(path.join(config.out, 'config.json'),
    JSON.stringify(serializableConfig(config), null, 2) + '\n');
  writeFileAtomic(path.join(config.out, 'model.json'),
    JSON.stringify(modelRecord(state.model), null, 2) + '\n');
  writeSkippedList(config.out, dataset, log);
  if (!config.resume) events.hparams(flatConfig(config));
  try {
    if (hooks.shouldStop?.()) {
      log.info('stopped before the first step; nothing to checkpoint');
      return { iterations: state.progress.iteration, finished: 'interrupted',
        checkpoint: resumedFrom ?? '', epochs: [] };
    }
    return await runEpochs(config, dataset, state, events, log, hooks, resumedFrom, labeled);
  } finally {
    events.close();
    disposeState(state);
  }
}

function disposeState(state: TrainingState): void {
  state.model.dispose();
  state.generatorOptimizer.dispose();
  state.discriminatorOptimizer.dispose();
}

export function createTrainingState(config: TrainConfig,
  image: { height: number; width: number; channels: 1 | 3 }): TrainingState {
  const rng = new Generator(config.seed);
  const model = new InfoGAN(config, image, rng);
  return {
    model,
    rng,
    generatorOptimizer: new Adam(model.generatorParameters(),
      { lr: config.generatorLr, betas: [0.5, 0.999] }),
    discriminatorOptimizer: new Adam(model.discriminatorParameters(),
      { lr: config.discriminatorLr, betas: [0.5, 0.999] }),
    progress: { iteration: 0, epoch: 0, batchInEpoch: 0 },
  };
}

/** Restores the newest checkpoint of the --resume run; returns its file ('' when none yet). */
/**
 * The checkpoint a resumed run goes on from, checked, with its tensors (the caller disposes them);
 * undefined when the run was killed before its first. Refuses --epochs below what it has trained.
 */
function resumePoint(config: TrainConfig, log: Logger): LoadedCheckpoint | undefined {
  if (newestCheckpoint(config.resume!) === undefined) {
    // Killed before its first checkpoint: nothing is lost by starting over.
    log.warn(`no checkpoint in ${checkpointFolder(config.resume!)} yet; starting from iteration 0`);
    return undefined;
  }
  // Damaged checkpoints are set aside only in the folder this run writes (and holds locked);
  // a run resumed from another folder into a new --out leaves that one as it is.
  const writesThere = path.resolve(config.resume!) === path.resolve(config.out);
  const checkpoint = loadCheckpoint(config.resume!, log, undefined,
    { setAsideDamaged: writesThere });
  const { iteration, epoch, batchInEpoch } = checkpoint.progress;
  if (config.epochs < epoch || (config.epochs === epoch && batchInEpoch > 0)) {
    for (const t of checkpoint.tensors.values()) t.dispose();
    const done = batchInEpoch > 0 ? `is partway through epoch ${epoch + 1}` :
      `has trained ${epoch} epochs`;
    throw new UserError(`--epochs ${config.epochs}: ${config.resume} ${done} (iteration ` +
      `${iteration}); give --epochs ${epoch + 1} or more to train on`, 2);
  }
  return checkpoint;
}

/** Restores `checkpoint` into the fresh `state`; returns the file it came from. */
function resume(state: TrainingState, checkpoint: LoadedCheckpoint, config: TrainConfig,
  log: Logger): string {
  try {
    restoreTrainingState(state, checkpoint);
  } catch (error) {
    throw new UserError(`cannot resume from ${checkpoint.file}: ${(error as Error).message}; ` +
      'it was written by a different architecture');
  }
  // Learning rates may change on resume; the command line (or saved config) wins.
  state.generatorOptimizer.lr = config.generatorLr;
  state.discriminatorOptimizer.lr = config.discriminatorLr;
  const { iteration, epoch } = state.progress;
  if (config.epochs === epoch) {
    log.info(`${config.resume} has trained its ${epoch} epochs (iteration ${iteration}); give ` +
      `--epochs ${epoch + 1} or more to train on`);
  } else {
    log.info(`resumed from ${checkpoint.file}: iteration ${iteration}, epoch ${epoch + 1}`);
  }
  return checkpoint.file;
}

/** The run's settings as flat key/values for TensorBoard's hyperparameter table. */
function flatConfig(config: TrainConfig): Record<string, string | number | boolean> {
  const flat: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(serializableConfig(config))) {
    if (value === undefined) continue;
    flat[key] = typeof value === 'object' ? JSON.stringify(value) : value as string | number | boolean;
  }
  return flat;
}

const SCALAR_KEYS: (keyof ScalarLosses)[] = ['discriminator', 'generator', 'information',
  'categorical', 'continuous', 'realScore', 'fakeScore'];

/** Sums of step losses over an epoch, to report means. */
class LossTotals {
  private sums = Object.fromEntries(SCALAR_KEYS.map((k) => [k, 0])) as ScalarLosses;
  private count = 0;

  add(losses: StepLosses): void {
    for (const key of SCALAR_KEYS) this.sums[key] += losses[key];
    this.count += 1;
  }

  means(): ScalarLosses {
    const n = Math.max(1, this.count);
    return Object.fromEntries(SCALAR_KEYS.map((k) => [k, this.sums[k] / n])) as ScalarLosses;
  }

  get steps(): number {
    return this.count;
  }
}

async function runEpochs(config: TrainConfig, dataset: ImageDataset, state: TrainingState,
  events: EventWriter, log: Logger, hooks: TrainHooks, resumedFrom = '',
  labeled?: LabeledBatches): Promise<TrainResult> {
  const perEpoch = batchesPerEpoch(dataset, config.batchSize);
  const progress = state.progress;
  const context = {
    model: state.model, rng: state.rng,
    generatorOptimizer: state.generatorOptimizer,
    discriminatorOptimizer: state.discriminatorOptimizer,
    lambdas: { categorical: config.categoricalLambda, continuous: config.continuousLambda },
    infoTrainsBody: config.infoTrainsBody,
    supervisedLambda: config.labeledLambda,
    realInformationLambda: config.realInfoLambda,
    invarianceLambda: config.invarianceLambda,
    augmentations: config.augment,
  };
  const summaries: EpochSummary[] = [];
  const batchFloats = new Float32Array(config.batchSize * dataset.channels * dataset.height *
    dataset.width);
  const guard = new DivergenceGuard(config, state, log, resumedFrom);
  const view = viewRunner(log);
  const plot = () => view('traversal grids', progress.iteration,
    () => writeGrids(config, state, events, log));
  let stopped = false;
  setAutocast(config.precision === 'bfloat16');
  try {
    epochs: while (progress.epoch < config.epochs && !stopped) {
      const order = shuffledOrder(dataset.count, config.seed, progress.epoch);
      const totals = new LossTotals();
      const bar = log.progress(`epoch ${progress.epoch + 1}/${config.epochs}`, perEpoch,
        progress.batchInEpoch);
      const started = performance.now();
      while (progress.batchInEpoch < perEpoch) {
        const start = progress.batchInEpoch * config.batchSize;
        batchToFloat(dataset, order.subarray(start, start + config.batchSize), batchFloats);
        const losses = tidy(() => trainStep(context,
          tensor(batchFloats, [config.batchSize, dataset.channels, dataset.height, dataset.width]),
          labeled?.batch(progress.iteration)));
        const trouble = guard.check(losses, progress.iteration + 1);
        if (trouble) {
          bar.finish();
          guard.recover(trouble);
          continue epochs;
        }
        totals.add(losses);
        advance(progress, perEpoch);
        const seconds = (performance.now() - started) / 1000;
        logScalars(events, config, progress.iteration, losses, state,
          (totals.steps * config.batchSize) / seconds);
        bar.update(progress.batchInEpoch === 0 ? perEpoch : progress.batchInEpoch);
        // The checkpoint first: the grids are only a view of the weights it keeps. A rollback
        // (NaN weights) moves back to an iteration already plotted.
        const iteration = progress.iteration;
        if (iteration % config.checkpointEvery === 0) guard.checkpoint(false);
        if (iteration % config.plotEvery === 0 && progress.iteration === iteration) plot();
        hooks.afterStep?.(progress.iteration, losses, state);
        await new Promise((resolve) => setImmediate(resolve)); // let signals in
        if (hooks.shouldStop?.()) {
          stopped = true;
          break;
        }
        if (progress.batchInEpoch === 0) break;
      }
      bar.finish();
      if (totals.steps > 0) {
        const seconds = (performance.now() - started) / 1000;
        const summary = { ...totals.means(), epoch: progress.batchInEpoch === 0 ? progress.epoch
          : progress.epoch + 1, imagesPerSecond: (totals.steps * config.batchSize) / seconds };
        summaries.push(summary);
        // A stop mid-epoch: its line says how much of the epoch the figures cover.
        const part = progress.batchInEpoch === 0 ? ''
          : ` (steps to ${progress.batchInEpoch} of ${perEpoch})`;
        log.info(epochLine(summary, config, state, seconds, part));
        if (progress.batchInEpoch === 0) {
          view('categorical accuracy', progress.iteration, () => {
            const accuracy = categoricalAccuracy(state.model, dataset);
            if (accuracy === null) return;
            log.info(`epoch ${summary.epoch}: categorical_accuracy ${accuracy.toFixed(2)}`);
            events.scalar('categorical_accuracy', accuracy, progress.iteration);
          });
          view('Q histograms', progress.iteration, () => logCodeHistograms(events, state, dataset));
        }
        events.flush();
      }
    }
  } finally {
    setAutocast(false);
  }
  // The checkpoint before the last grids, so that a failure in them cannot lose the epoch.
  const checkpoint = guard.checkpoint(true);
  if (progress.iteration % config.plotEvery !== 0) plot();
  log.info(`${stopped ? 'stopped' : 'finished'} at iteration ${progress.iteration}; ` +
    `checkpoint ${checkpoint}`);
  return { iterations: progress.iteration, finished: stopped ? 'interrupted' : 'completed',
    checkpoint, epochs: summaries };
}

/** Steps in a row with D(G(z)) below this (and D(x) above 1 minus it) before D counts as won. */
const WON_SCORE = 0.005;
const WON_STEPS = 1000;
const MAX_ROLLBACKS = 3;

/**
 * Watches for divergence (NaN/Inf losses or weights, a discriminator that has won for good),
 * writes checkpoints only of healthy weights, and either stops with a message naming the step or,
 * with --on_nan rollback, restores the last checkpoint with halved learning rates.
 */
class DivergenceGuard {
  private wonSince = -1;
  private rollbacks = 0;

  constructor(private readonly config: TrainConfig, private readonly state: TrainingState,
    private readonly log: Logger, private lastCheckpoint = '') {}

  /** A description of what went wrong at `iteration`, or null when the step was healthy. */
  check(losses: StepLosses, iteration: number): string | null {
    const bad = (Object.entries(losses) as [string, unknown][])
      .filter(([, v]) => typeof v === 'number' && !Number.isFinite(v));
    if (bad.length > 0) {
      return `training diverged at iteration ${iteration}: ` +
        bad.map(([k, v]) => `${k} loss is ${v}`).join(', ');
    }
    const won = losses.fakeScore < WON_SCORE && losses.realScore > 1 - WON_SCORE;
    if (!won) {
      this.wonSince = -1;
    } else if (this.wonSince < 0) {
      this.wonSince = iteration;
    } else if (iteration - this.wonSince >= WON_STEPS) {
      this.wonSince = -1;
      return `the discriminator has won since iteration ${iteration - WON_STEPS}: ` +
        `D(G(z)) < ${WON_SCORE} for ${WON_STEPS} steps, so the generator gets no signal`;
    }
    return null;
  }

  /** Rolls back (with --on_nan rollback) or throws a UserError describing `trouble`. */
  recover(trouble: string): void {
    const { config, state, log } = this;
    const canRollback = config.onNan === 'rollback' && this.rollbacks < MAX_ROLLBACKS &&
      fs.existsSync(path.join(config.out, 'checkpoints', 'manifest.json'));
    if (!canRollback) {
      const last = this.lastCheckpoint || 'none yet';
      const why = config.onNan !== 'rollback' ? 'lower the learning rates and --resume, or use ' +
        '--on_nan rollback' : this.rollbacks >= MAX_ROLLBACKS ? `after ${MAX_ROLLBACKS} ` +
        'rollbacks; lower the learning rates and --resume' : 'no checkpoint yet to roll back ' +
        'to; lower the learning rates';
      throw new UserError(`${trouble}; last good checkpoint: ${last} (${why})`);
    }
    this.rollbacks += 1;
    const checkpoint = loadCheckpoint(config.out, log, undefined, { setAsideDamaged: true });
    try {
      restoreTrainingState(state, checkpoint);
    } finally {
      for (const t of checkpoint.tensors.values()) t.dispose();
    }
    state.generatorOptimizer.lr = state.generatorOptimizer.lr / 2;
    state.discriminatorOptimizer.lr = state.discriminatorOptimizer.lr / 2;
    log.warn(`${trouble}; rolled back to ${checkpoint.file} (iteration ` +
      `${state.progress.iteration}) with learning rates halved to generator ` +
      `${state.generatorOptimizer.lr}, discriminator ${state.discriminatorOptimizer.lr} ` +
      `(rollback ${this.rollbacks} of ${MAX_ROLLBACKS})`);
  }

  /**
   * Saves a checkpoint of healthy weights. A failed write mid-run keeps the previous checkpoint
   * and training goes on; a failed final write is an error.
   */
  checkpoint(final: boolean): string {
    const { config, state, log } = this;
    const unhealthy = [...state.model.modules()].flatMap(([prefix, module]) =>
      module.parameters().some((p) => !p.allFinite()) ? [prefix] : []);
    if (unhealthy.length > 0) {
      this.recover(`weights of ${unhealthy.join(', ')} became NaN/Inf by iteration ` +
        `${state.progress.iteration}`);
      return this.lastCheckpoint;
    }
    try {
      this.lastCheckpoint = saveCheckpoint(config.out, state, serializableConfig(config),
        config.keepCheckpoints);
    } catch (error) {
      // A second Ctrl-C as the checkpoint is written quits, as it does anywhere else: train()
      // says which checkpoint is kept, and the command exits 130 (143).
      if (isInterrupted(error)) throw error;
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      if (final) {
        throw new UserError(`cannot write the final checkpoint in ${config.out} (${reason}); ` +
          `the last one written is ${this.lastCheckpoint || 'none'}`);
      }
      log.warn(`checkpoint at iteration ${state.progress.iteration} failed (${reason}); ` +
        `keeping ${this.lastCheckpoint || 'no earlier checkpoint'} and training on`);
    }
    return this.lastCheckpoint;
  }
}

/** Histograms of Q's predicted continuous codes on up to 1,000 real images. */
function logCodeHistograms(events: EventWriter, state: TrainingState, dataset: ImageDataset): void {
  const model = state.model;
  if (model.numContinuous === 0 || !model.qHead) return;
  const count = Math.min(1000, dataset.count);
  const indices = shuffledOrder(dataset.count, 0, 0).subarray(0, count);
  const pixels = batchToFloat(dataset, indices);
  model.train(false);
  try {
    const means = tidy(() => noGrad(() => {
      const images = tensor(pixels, [count, dataset.channels, dataset.height, dataset.width]);
      return model.predictCodes(model.features(images)).continuousMean!.toFloat32Array();
    }));
    for (let j = 0; j < model.numContinuous; j++) {
      const values = means.filter((_, i) => i % model.numContinuous === j);
      events.histogram(`q_continuous/${j}`, values, state.progress.iteration);
    }
  } finally {
    model.train(true);
  }
}

function advance(progress: Progress, perEpoch: number): void {
  progress.iteration += 1;
  progress.batchInEpoch += 1;
  if (progress.batchInEpoch >= perEpoch) {
    progress.batchInEpoch = 0;
    progress.epoch += 1;
  }
}

function epochLine(summary: EpochSummary, config: TrainConfig, state: TrainingState,
  seconds: number, part = ''): string {
  return `epoch ${summary.epoch}/${config.epochs}${part}: ` +
    `discriminator_objective ${summary.discriminator.toFixed(4)} ` +
    `generator_objective ${summary.generator.toFixed(4)} ` +
    `mutual_info_objective ${summary.information.toFixed(4)} ` +
    `generator_lr ${state.generatorOptimizer.lr} discriminator_lr ${state.discriminatorOptimizer.lr} ` +
    `images/s ${summary.imagesPerSecond.toFixed(0)} time ${formatDuration(seconds)}`;
}

function logScalars(events: EventWriter, config: TrainConfig, iteration: number,
  losses: StepLosses, state: TrainingState, imagesPerSecond: number): void {
  if (iteration % config.logEvery !== 0) return;
  const scalars: [string, number][] = [
    ['discriminator_objective', losses.discriminator],
    ['generator_objective', losses.generator],
    ['mutual_info_objective', losses.information],
    ['ll_categorical_objective', losses.categorical],
    ['ll_continuous_objective', losses.continuous],
    ['generator_lr', state.generatorOptimizer.lr],
    ['discriminator_lr', state.discriminatorOptimizer.lr],
    ['d_real', losses.realScore],
    ['d_fake', losses.fakeScore],
    ['images_per_second', imagesPerSecond],
  ];
  losses.continuousStd?.forEach((std, j) => scalars.push([`q_std/continuous_${j}`, std]));
  if (losses.supervised !== undefined) scalars.push(['supervised_objective', losses.supervised]);
  if (losses.realInformation !== undefined) {
    scalars.push(['real_information_objective', losses.realInformation]);
  }
  if (losses.invariance !== undefined) scalars.push(['invariance_objective', losses.invariance]);
  for (const [tag, value] of scalars) events.scalar(tag, value, iteration);
}

function isDiskError(error: unknown): boolean {
  if (isInterrupted(error)) return false; // a second Ctrl-C has a code too, and quits
  return typeof (error as NodeJS.ErrnoException)?.code === 'string' || error instanceof UserError;
}

/**
 * TensorBoard logs are a view of the run, not the run: when the disk refuses them (full,
 * unwritable), say so once and train on without them. Other errors are bugs and propagate.
 */
function tolerateDiskErrors(writer: EventWriter, log: Logger): EventWriter {
  let failed = false;
  return new Proxy(writer, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (failed) return undefined;
        try {
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (error) {
          if (!isDiskError(error)) throw error;
          failed = true;
          log.warn(`TensorBoard logging to ${target.logdir} failed ` +
            `(${(error as Error).message.split('\n')[0]}); training goes on without it`);
          return undefined;
        }
      };
    },
  });
}

/**
 * Runs the parts of a step or epoch that only picture the run (grids, histograms, the accuracy
 * scalar), not the training itself: one that fails is one warning and is skipped from then on,
 * so that it cannot stop the run and cost the steps since the last checkpoint. A second Ctrl-C
 * still quits.
 */
function viewRunner(log: Logger): (what: string, iteration: number, fn: () => void) => void {
  const failed = new Set<string>();
  return (what, iteration, fn) => {
    if (failed.has(what)) return;
    try {
      fn();
    } catch (error) {
      if (isInterrupted(error)) throw error;
      failed.add(what);
      log.warn(`${what} at iteration ${iteration} failed ` +
        `(${String((error as Error).message).split('\n')[0]}); training goes on without them`);
    }
  };
}

/** Writes every traversal grid as grids/<code>_iter_<iteration>.png and to TensorBoard. */
function writeGrids(config: TrainConfig, state: TrainingState, events: EventWriter,
  log: Logger): void {
  const folder = path.join(config.out, 'grids');
  const iteration = state.progress.iteration;
  const grids = noGrad(() => traversalGrids(state.model, { seed: config.seed + 1 }));
  for (const grid of grids) {
    const name = `${grid.name}_iter_${String(iteration).padStart(7, '0')}.png`;
    try {
      makeFolder(folder);
      writeFileAtomic(path.join(folder, name), grid.png);
    } catch (error) {
      if (!isDiskError(error)) throw error;
      log.warn(`cannot write ${path.join(folder, name)} (${(error as Error).message}); ` +
        'training goes on');
    }
    events.image(grid.name.replace('_', '/'), grid.png, grid.width, grid.height, grid.channels,
      iteration);
  }
}
