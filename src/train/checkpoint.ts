/**
 * Checkpoints: one safetensors file per save holding every module's parameters and buffers, both
 * optimisers' moments, and the random stream; the counters and config ride in its metadata.
 *
 * Layout: <run>/checkpoints/step-<iteration>.safetensors and manifest.json listing each file with
 * its SHA-256. Each file also carries its own SHA-256 in its metadata, so that a damaged or missing
 * manifest never means trusting a file unchecked. Files and manifest are written atomically;
 * loading verifies the checksum and falls back to the previous good checkpoint with one warning.
 * Training, which writes the folder, also sets a damaged file aside (step-*.safetensors.damaged),
 * so that it is neither listed nor kept in place of a good one.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Adam, Generator, Tensor, decodeSafetensors, encodeSafetensors, tensor } from '../torch';
import type { InfoGAN } from '../model/infogan';
import { makeFolder, writeFileAtomic } from '../util/atomic';
import { processAlive } from '../util/lock';
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

/**
 * A checkpoint's own checksum sits in its metadata as `"sha256":"<64 hex digits>"`: the SHA-256 of
 * the whole file with those digits written as zeros. It covers the header (counters, config) as
 * well as the tensors, and needs nothing outside the file to check.
 */
const OWN_CHECKSUM_KEY = '"sha256":"';
const UNSEALED = '0'.repeat(64);

/** Where the own checksum's digits start in the header; -1 when the file has none (older runs). */
function ownChecksumOffset(bytes: Buffer): number {
  if (bytes.length < 8) return -1;
  const headerEnd = 8 + Number(bytes.readBigUInt64LE(0));
  const at = bytes.subarray(0, Math.min(headerEnd, bytes.length)).indexOf(OWN_CHECKSUM_KEY, 8);
  return at < 0 ? -1 : at + OWN_CHECKSUM_KEY.length;
}

/** Writes the own checksum of freshly encoded checkpoint bytes in place of its zeros. */
function sealChecksum(bytes: Buffer): void {
  const at = ownChecksumOffset(bytes);
  if (at < 0 || bytes.toString('latin1', at, at + 64) !== UNSEALED) {
    throw new Error('checkpoint: no room for its checksum in the encoded header');
  }
  bytes.write(sha256(bytes), at, 'latin1');
}

/** Whether the file matches its own checksum; undefined when it carries none. */
function matchesOwnChecksum(bytes: Buffer): boolean | undefined {
  const at = ownChecksumOffset(bytes);
  if (at < 0) return undefined;
  const recorded = bytes.toString('latin1', at, at + 64);
  const actual = createHash('sha256').update(bytes.subarray(0, at)).update(UNSEALED)
    .update(bytes.subarray(at + 64)).digest('hex');
  return recorded === actual;
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
    // First, so that it sits at the front of the header; sealChecksum fills it in.
    sha256: UNSEALED,
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
  sealChecksum(bytes);
  const name = `step-${String(state.progress.iteration).padStart(9, '0')}.safetensors`;
  writeFileAtomic(path.join(folder, name), bytes);
  const { manifest, rebuilt } = readManifest(folder);
  const others = manifest.checkpoints.filter((e) => e.file !== name);
  // Rebuilt from the folder, the list keeps only files that pass their own checksums, so that a
  // damaged one neither counts among the newest kept nor gets listed as good.
  const entries = rebuilt ? verifiedEntries(folder, others) : others;
  entries.push({ file: name, iteration: state.progress.iteration, sha256: sha256(bytes),
    bytes: bytes.length });
  entries.sort((a, b) => a.iteration - b.iteration);
  const kept = entries.slice(Math.max(0, entries.length - keep));
  writeManifest(folder, kept);
  for (const old of entries.slice(0, entries.length - kept.length)) {
    fs.rmSync(path.join(folder, old.file), { force: true });
  }
  return path.join(folder, name);
}

function writeManifest(folder: string, checkpoints: ManifestEntry[]): void {
  writeFileAtomic(path.join(folder, 'manifest.json'),
    JSON.stringify({ format: CHECKPOINT_FORMAT, checkpoints }, null, 2) + '\n');
}

/**
 * Scanned entries whose files pass their own checksums, with the whole file's SHA-256 filled in;
 * files from before checksums were embedded stay listed without one.
 */
function verifiedEntries(folder: string, scanned: ManifestEntry[]): ManifestEntry[] {
  return scanned.flatMap((entry) => {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.join(folder, entry.file));
    } catch {
      return [];
    }
    const own = matchesOwnChecksum(bytes);
    if (own === false) return [];
    return [own ? { ...entry, sha256: sha256(bytes), bytes: bytes.length } : entry];
  });
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

/** The newest checkpoint file the run's manifest (or folder) lists; undefined when none yet. */
export function newestCheckpoint(runDir: string): string | undefined {
  const folder = checkpointFolder(runDir);
  const newest = readManifest(folder).manifest.checkpoints.at(-1);
  return newest && path.join(folder, newest.file);
}

/**
 * The folder's manifest; when it is missing or damaged, one rebuilt from the files present (with
 * no checksums listed) and, if it was damaged, what is wrong with it.
 */
function readManifest(folder: string): { manifest: Manifest; rebuilt: boolean; damage?: string } {
  const file = path.join(folder, 'manifest.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    // None yet is normal: a run killed between its first checkpoint and manifest leaves none.
    const code = (error as NodeJS.ErrnoException).code;
    return rebuiltManifest(folder, code === 'ENOENT' ? undefined :
      `unreadable: ${code ?? (error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return rebuiltManifest(folder, 'not valid JSON');
  }
  const damage = manifestProblem(parsed);
  if (damage) return rebuiltManifest(folder, damage);
  return { manifest: parsed as Manifest, rebuilt: false };
}

function rebuiltManifest(folder: string, damage: string | undefined):
  { manifest: Manifest; rebuilt: true; damage?: string } {
  return { manifest: { format: CHECKPOINT_FORMAT, checkpoints: scanFolder(folder) }, rebuilt: true,
    damage };
}

/** What is wrong with a parsed manifest, field by field; '' when nothing is. */
function manifestProblem(value: unknown): string {
  const manifest = value as Partial<Manifest> | null;
  if (manifest === null || typeof manifest !== 'object') return 'not a JSON object';
  if (manifest.format !== CHECKPOINT_FORMAT) {
    return `format ${JSON.stringify(manifest.format) ?? 'missing'}, expected ${CHECKPOINT_FORMAT}`;
  }
  if (!Array.isArray(manifest.checkpoints)) return 'no checkpoints list';
  // A listed name outside the folder's own pattern could point anywhere: the list is not used.
  const bad = manifest.checkpoints.findIndex((e: Partial<ManifestEntry> | null) =>
    e === null || typeof e !== 'object' || typeof e.file !== 'string' ||
    !CHECKPOINT_NAME.test(e.file) || !Number.isSafeInteger(e.iteration) ||
    typeof e.sha256 !== 'string');
  return bad < 0 ? '' : `checkpoint entry ${bad + 1} lacks a step-*.safetensors file, ` +
    'iteration or sha256';
}

const CHECKPOINT_NAME = /^step-(\d+)\.safetensors$/;

/** Checkpoint files present in the folder, without checksums (each is checked by its own). */
function scanFolder(folder: string): ManifestEntry[] {
  if (!fs.existsSync(folder)) return [];
  return fs.readdirSync(folder)
    .map((file) => CHECKPOINT_NAME.exec(file))
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

export interface LoadOptions {
  /**
   * Set each damaged checkpoint skipped aside (see setAsideDamaged). Only for training, which
   * holds the run folder's lock and writes it; read-only commands leave the folder as it is.
   * Default: false.
   */
  setAsideDamaged?: boolean;
}

/**
 * Reads the newest checkpoint that verifies (or the one at `iteration`), warning once for each
 * damaged one skipped, once for a damaged manifest, and once for a checkpoint used unchecked
 * (an older one that nothing can verify). With `setAsideDamaged`, the damaged ones skipped are
 * taken out of the run once a usable one is found, each warning saying so. Throws UserError when
 * none is usable.
 */
export function loadCheckpoint(runDir: string, log: Logger, iteration?: number,
  options: LoadOptions = {}): LoadedCheckpoint {
  const folder = checkpointFolder(runDir);
  const { manifest, rebuilt, damage } = readManifest(folder);
  const listed = manifest.checkpoints;
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
  const damaged = damage && `${path.join(folder, 'manifest.json')} is damaged (${damage})`;
  const unusable: { file: string; reason: string; damaged: boolean }[] = [];
  for (const entry of candidates) {
    const file = path.join(folder, entry.file);
    try {
      const { checkpoint, verified } = readCheckpointFile(file, entry.sha256);
      if (damaged) log.warn(`${damaged}; checking each checkpoint by its own checksum instead`);
      const setAside = options.setAsideDamaged ? setAsideDamaged(folder,
        unusable.filter((u) => u.damaged).map((u) => u.file), rebuilt ? undefined : manifest)
        : new Map<string, string>();
      for (const skipped of unusable) {
        log.warn(`checkpoint ${skipped.file} is unusable (${skipped.reason}); ` +
          `${setAside.get(skipped.file) ?? ''}falling back to the previous one`);
      }
      if (!verified) {
        log.warn(`checkpoint ${file} cannot be verified (it carries no checksum and ` +
          'manifest.json lists none); using it unchecked');
      }
      return checkpoint;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      unusable.push({ file, reason: code === 'ENOENT' ? 'missing' : (error as Error).message,
        damaged: error instanceof CheckpointDamage });
    }
  }
  // Warnings would promise a fallback that does not exist: one error names every problem.
  const reasons = unusable.map((u) => `${path.basename(u.file)} ${u.reason}`).join('; ');
  throw new UserError(`no usable checkpoint in ${folder}: ${reasons}` +
    (damaged ? `; and ${damaged}` : ''));
}

/**
 * Takes damaged checkpoint files out of the run: first out of the manifest (when it is intact;
 * a rebuilt one is written afresh from the files that verify at the next save), then renamed to
 * `<name>.damaged`. Renamed rather than deleted: the user may want to look at what went wrong
 * (a failing disk, a bad copy), and a name outside step-*.safetensors means no listing, no scan
 * of the folder and no --keep_checkpoints slot can count it again, even once every newer
 * checkpoint is gone. Returns, for each file, the words that the warning about it adds.
 */
function setAsideDamaged(folder: string, files: string[], intact?: Manifest): Map<string, string> {
  const said = new Map<string, string>();
  if (files.length === 0) return said;
  const names = new Set(files.map((file) => path.basename(file)));
  if (intact) writeManifest(folder, intact.checkpoints.filter((e) => !names.has(e.file)));
  for (const file of files) {
    try {
      fs.renameSync(file, `${file}.damaged`);
      said.set(file, `renamed it to ${path.basename(file)}.damaged; `);
    } catch (error) {
      // Left in place it is still skipped by its checksum each time: no reason to stop training.
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      said.set(file, `could not rename it to ${path.basename(file)}.damaged (${reason}); `);
    }
  }
  return said;
}

/** A checkpoint whose bytes are wrong, as opposed to one that could not be read or is foreign. */
class CheckpointDamage extends Error {}

/**
 * Reads and checks one checkpoint file: against the manifest's checksum when it lists one, else
 * against the file's own; `verified` is false only for a file that has neither (older runs).
 */
function readCheckpointFile(file: string, expectedSha: string):
  { checkpoint: LoadedCheckpoint; verified: boolean } {
  const bytes = fs.readFileSync(file);
  const verified = expectedSha ? sha256(bytes) === expectedSha : matchesOwnChecksum(bytes);
  if (verified === false) throw new CheckpointDamage('checksum mismatch');
  let decoded: ReturnType<typeof decodeSafetensors>;
  try {
    decoded = decodeSafetensors(bytes, file);
  } catch (error) {
    // A file that matched a checksum holds what was written: failing to decode is no damage.
    throw verified ? error : new CheckpointDamage((error as Error).message);
  }
  const { tensors, metadata } = decoded;
  try {
    if (metadata.format !== CHECKPOINT_FORMAT) {
      throw new Error(`format ${metadata.format ?? 'missing'}, expected ${CHECKPOINT_FORMAT}`);
    }
    const checkpoint = {
      file,
      tensors,
      progress: JSON.parse(metadata.progress) as Progress,
      config: JSON.parse(metadata.config) as unknown,
      optimizers: JSON.parse(metadata.optimizers) as LoadedCheckpoint['optimizers'],
    };
    return { checkpoint, verified: verified === true };
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
