/**
 * Checkpoints: one safetensors file per save holding every module's parameters and buffers, both
 * optimisers' moments, and the random stream; the counters and config ride in its metadata.
 *
 * Layout: <run>/checkpoints/step-<iteration>.safetensors and manifest.json listing each file with
 * its SHA-256. Files and manifest are written atomically; loading verifies the checksum and falls
 * back to the previous good checkpoint with one warning.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Adam, Generator, Tensor, decodeSafetensors, encodeSafetensors, tensor } from '../torch';
import type { InfoGAN } from '../model/infogan';
import { makeFolder, writeFileAtomic } from '../util/atomic';
import { UserError, type Logger } from '../util/log';

export const CHECKPOINT_FORMAT = 'infogan-checkpoint/1';

/** Where training stands: enough to continue exactly. */
export interface Progress {
  /** Training steps done so far. */
  iteration: number;
  /** The epoch the next step belongs to (0-based). */
  epoch: number;
  /** The next step's batch index within that epoch. */
  batchInEpoch: number;
}

export interface TrainingState {
  model: InfoGAN;
  generatorOptimizer: Adam;
  discriminatorOptimizer: Adam;
  rng: Generator;
  progress: Progress;
}

interface ManifestEntry {
  file: string;
  iteration: number;
  sha256: string;
  bytes: number;
}

interface Manifest {
  format: string;
  checkpoints: ManifestEntry[];
}

export function checkpointFolder(runDir: string): string {
  return path.join(runDir, 'checkpoints');
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Every tensor of the training state by name, plus its metadata. */
function collect(state: TrainingState, config: unknown): { tensors: Map<string, Tensor>;
  metadata: Record<string, string>; temporaries: Tensor[] } {
  const tensors = new Map<string, Tensor>();
  for (const [prefix, module] of state.model.modules()) {
    for (const [name, t] of module.stateDict()) tensors.set(`${prefix}.${name}`, t);
  }
  const optimizers = [['generator', state.generatorOptimizer],
    ['discriminator', state.discriminatorOptimizer]] as const;
  for (const [name, optimizer] of optimizers) {
    for (const [key, t] of optimizer.stateDict().tensors) tensors.set(`optimizer.${name}.${key}`, t);
  }
  const rngState = tensor(state.rng.getState(), undefined, 'uint8');
  tensors.set('rng.state', rngState);
  const metadata = {
    format: CHECKPOINT_FORMAT,
    progress: JSON.stringify(state.progress),
    optimizers: JSON.stringify({
      generator: { step: state.generatorOptimizer.steps, lr: state.generatorOptimizer.lr },
      discriminator: { step: state.discriminatorOptimizer.steps, lr: state.discriminatorOptimizer.lr },
    }),
    config: JSON.stringify(config),
  };
  return { tensors, metadata, temporaries: [rngState] };
}

/** Writes a checkpoint atomically, records it in the manifest, and keeps the newest `keep`. */
export function saveCheckpoint(runDir: string, state: TrainingState, config: unknown, keep: number):
  string {
  const folder = checkpointFolder(runDir);
  makeFolder(folder);
  removeStaleTemporaries(folder);
  const { tensors, metadata, temporaries } = collect(state, config);
  let bytes: Buffer;
  try {
    bytes = encodeSafetensors(tensors, metadata);
  } finally {
    for (const t of temporaries) t.dispose();
  }
  const name = `step-${String(state.progress.iteration).padStart(9, '0')}.safetensors`;
  writeFileAtomic(path.join(folder, name), bytes);
  const manifest = readManifest(folder);
  const entries = manifest.checkpoints.filter((e) => e.file !== name);
  entries.push({ file: name, iteration: state.progress.iteration, sha256: sha256(bytes),
    bytes: bytes.length });
  entries.sort((a, b) => a.iteration - b.iteration);
  const kept = entries.slice(Math.max(0, entries.length - keep));
  writeFileAtomic(path.join(folder, 'manifest.json'),
    JSON.stringify({ format: CHECKPOINT_FORMAT, checkpoints: kept }, null, 2) + '\n');
  for (const old of entries.slice(0, entries.length - kept.length)) {
    fs.rmSync(path.join(folder, old.file), { force: true });
  }
  return path.join(folder, name);
}

/** Removes temporary files of writes that a killed run left half done (their writer is gone). */
function removeStaleTemporaries(folder: string): void {
  for (const name of fs.readdirSync(folder)) {
    const pid = Number(/\.tmp-(\d+)$/.exec(name)?.[1] ?? 0);
    if (pid > 0 && pid !== process.pid && !processAlive(pid)) {
      fs.rmSync(path.join(folder, name), { force: true });
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The newest checkpoint file the run's manifest (or folder) lists; undefined when none yet. */
export function newestCheckpoint(runDir: string): string | undefined {
  const folder = checkpointFolder(runDir);
  const newest = readManifest(folder).checkpoints.at(-1);
  return newest && path.join(folder, newest.file);
}

function readManifest(folder: string): Manifest {
  const file = path.join(folder, 'manifest.json');
  try {
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
    if (manifest.format === CHECKPOINT_FORMAT && Array.isArray(manifest.checkpoints)) return manifest;
  } catch {
    // Missing or damaged: rebuilt from the files themselves below.
  }
  return { format: CHECKPOINT_FORMAT, checkpoints: scanFolder(folder) };
}

/** Checkpoint files present in the folder, without checksums (these get verified by parsing). */
function scanFolder(folder: string): ManifestEntry[] {
  if (!fs.existsSync(folder)) return [];
  return fs.readdirSync(folder)
    .map((file) => /^step-(\d+)\.safetensors$/.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ file: m[0], iteration: Number(m[1]), sha256: '', bytes: -1 }))
    .sort((a, b) => a.iteration - b.iteration);
}

/** A checkpoint read from disk; dispose `tensors` when done. */
export interface LoadedCheckpoint {
  file: string;
  tensors: Map<string, Tensor>;
  progress: Progress;
  config: unknown;
  optimizers: { generator: { step: number; lr: number }; discriminator: { step: number; lr: number } };
}

/**
 * Reads the newest checkpoint that verifies (or the one at `iteration`), warning once for each
 * damaged one skipped. Throws UserError when none is usable.
 */
export function loadCheckpoint(runDir: string, log: Logger, iteration?: number): LoadedCheckpoint {
  const folder = checkpointFolder(runDir);
  const listed = readManifest(folder).checkpoints;
  const candidates = listed.filter((e) => iteration === undefined || e.iteration === iteration)
    .reverse();
  if (candidates.length === 0) {
    const have = listed.map((e) => e.iteration);
    // A --checkpoint N that is not there is a bad flag value (2); no checkpoint at all is not.
    throw new UserError(iteration === undefined
      ? `no checkpoint in ${folder}; expected step-*.safetensors written by infogan train`
      : `no checkpoint for iteration ${iteration} in ${folder}` + (have.length === 0 ? '' :
        `; it has ${have.length > 6 ? `${have.slice(0, 3).join(', ')}, ..., ` +
          have.slice(-2).join(', ') : have.join(', ')}`), iteration === undefined ? 1 : 2);
  }
  const unusable: { file: string; reason: string }[] = [];
  for (const entry of candidates) {
    const file = path.join(folder, entry.file);
    try {
      const checkpoint = readCheckpointFile(file, entry.sha256);
      for (const skipped of unusable) {
        log.warn(`checkpoint ${skipped.file} is unusable (${skipped.reason}); ` +
          'falling back to the previous one');
      }
      return checkpoint;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      unusable.push({ file, reason: code === 'ENOENT' ? 'missing' : (error as Error).message });
    }
  }
  // Warnings would promise a fallback that does not exist: one error names every problem.
  const reasons = unusable.map((u) => `${path.basename(u.file)} ${u.reason}`).join('; ');
  throw new UserError(`no usable checkpoint in ${folder}: ${reasons}`);
}

function readCheckpointFile(file: string, expectedSha: string): LoadedCheckpoint {
  const bytes = fs.readFileSync(file);
  if (expectedSha && sha256(bytes) !== expectedSha) throw new Error('checksum mismatch');
  const { tensors, metadata } = decodeSafetensors(bytes, file);
  try {
    if (metadata.format !== CHECKPOINT_FORMAT) {
      throw new Error(`format ${metadata.format ?? 'missing'}, expected ${CHECKPOINT_FORMAT}`);
    }
    return {
      file,
      tensors,
      progress: JSON.parse(metadata.progress) as Progress,
      config: JSON.parse(metadata.config) as unknown,
      optimizers: JSON.parse(metadata.optimizers) as LoadedCheckpoint['optimizers'],
    };
  } catch (error) {
    for (const t of tensors.values()) t.dispose();
    throw error;
  }
}

function subset(tensors: Map<string, Tensor>, prefix: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, t] of tensors) {
    if (name.startsWith(prefix)) out.set(name.slice(prefix.length), t);
  }
  return out;
}

/** Loads model weights only (for sampling and evaluation). */
export function restoreModel(model: InfoGAN, checkpoint: LoadedCheckpoint): void {
  for (const [prefix, module] of model.modules()) {
    module.loadStateDict(subset(checkpoint.tensors, `${prefix}.`),
      `${checkpoint.file} (${prefix})`);
  }
}

/** Restores everything: weights, optimiser moments and counts, random stream, progress. */
export function restoreTrainingState(state: TrainingState, checkpoint: LoadedCheckpoint): void {
  restoreModel(state.model, checkpoint);
  state.generatorOptimizer.loadStateDict({ step: checkpoint.optimizers.generator.step,
    tensors: subset(checkpoint.tensors, 'optimizer.generator.') }, checkpoint.file);
  state.discriminatorOptimizer.loadStateDict({ step: checkpoint.optimizers.discriminator.step,
    tensors: subset(checkpoint.tensors, 'optimizer.discriminator.') }, checkpoint.file);
  const rngState = checkpoint.tensors.get('rng.state');
  if (!rngState) throw new Error(`${checkpoint.file}: missing rng.state`);
  state.rng.setState(rngState.toBytes());
  Object.assign(state.progress, checkpoint.progress);
}
