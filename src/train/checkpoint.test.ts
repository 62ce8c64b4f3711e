import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';

import { parseTrainArgs, type TrainConfig } from '../config/train';
import { tempFolder } from '../data/testing';
import { tinyTrainArgs } from '../testing/cli';
import { decodeSafetensors, encodeSafetensors } from '../torch';
import { MemoryLogger, UserError } from '../util/log';
import { loadCheckpoint, saveCheckpoint, type TrainingState } from './checkpoint';
import { loadTrainedModel, modelRecord } from './run';
import { createTrainingState, serializableConfig, train } from './trainer';

const temp = tempFolder('checkpoint');
after(() => temp.cleanup());

/** The tiny model's config (1 epoch of 128 digits in 8 steps, a checkpoint every 4) in `name`. */
function tinyConfig(name: string): TrainConfig {
  const argv = tinyTrainArgs(path.join(temp.dir, name), ['--epochs', '1', '--checkpoint_every',
    '4', '--cache_dir', path.join(temp.dir, 'cache'), '--quiet']).slice(1);
  return parseTrainArgs(argv) as TrainConfig;
}

/** A run folder as train leaves it (config, model layout) with checkpoints at `iterations`. */
function savedRun(name: string, iterations: number[]): string {
  const config = tinyConfig(name);
  const state = createTrainingState(config, { height: 28, width: 28, channels: 1 });
  try {
    fs.mkdirSync(config.out, { recursive: true });
    fs.writeFileSync(path.join(config.out, 'config.json'),
      JSON.stringify(serializableConfig(config), null, 2));
    fs.writeFileSync(path.join(config.out, 'model.json'), JSON.stringify(modelRecord(state.model)));
    for (const iteration of iterations) save(config, state, iteration);
  } finally {
    dispose(state);
  }
  return config.out;
}

function save(config: TrainConfig, state: TrainingState, iteration: number): string {
  state.progress.iteration = iteration;
  return saveCheckpoint(config.out, state, serializableConfig(config), 3);
}

function dispose(state: TrainingState): void {
  state.model.dispose();
  state.generatorOptimizer.dispose();
  state.discriminatorOptimizer.dispose();
}

const folder = (run: string) => path.join(run, 'checkpoints');
const step = (run: string, iteration: number) =>
  path.join(folder(run), `step-${String(iteration).padStart(9, '0')}.safetensors`);
const manifest = (run: string) => path.join(folder(run), 'manifest.json');

/** As the user trial did: 0xff over a stretch in the middle (1 MB, or half a smaller file). */
function corruptMiddle(file: string): void {
  const bytes = fs.readFileSync(file);
  const length = Math.min(1 << 20, bytes.length >> 1);
  const start = (bytes.length - length) >> 1;
  bytes.fill(0xff, start, start + length);
  fs.writeFileSync(file, bytes);
}

/** Rewrites a checkpoint as runs before embedded checksums wrote it: no sha256 in its metadata. */
function withoutOwnChecksum(file: string): void {
  const { tensors, metadata } = decodeSafetensors(fs.readFileSync(file), file);
  const { sha256, ...older } = metadata;
  assert.match(sha256, /^[0-9a-f]{64}$/);
  fs.writeFileSync(file, encodeSafetensors(tensors, older));
  for (const t of tensors.values()) t.dispose();
}

const damagedWarning = (run: string) =>
  `${manifest(run)} is damaged (not valid JSON); checking each checkpoint by its own checksum ` +
  'instead';
const fallbackWarning = (run: string, iteration: number) =>
  `checkpoint ${step(run, iteration)} is unusable (checksum mismatch); falling back to the ` +
  'previous one';
/** The fallback warning of a training run, which also sets the damaged file aside. */
const setAsideWarning = (run: string, iteration: number) =>
  `checkpoint ${step(run, iteration)} is unusable (checksum mismatch); renamed it to ` +
  `${path.basename(step(run, iteration))}.damaged; falling back to the previous one`;
const iterations = (run: string) => JSON.parse(fs.readFileSync(manifest(run), 'utf8'))
  .checkpoints.map((c: { iteration: number }) => c.iteration);

describe('checkpoints with a damaged manifest', () => {
  it('skip a corrupted newest checkpoint by its own checksum, saying so once each', () => {
    const run = savedRun('garbage-manifest', [4, 8]);
    fs.writeFileSync(manifest(run), 'garbage\n');
    corruptMiddle(step(run, 8));
    const log = new MemoryLogger();
    const loaded = loadCheckpoint(run, log);
    for (const t of loaded.tensors.values()) t.dispose();
    assert.equal(loaded.file, step(run, 4));
    assert.equal(loaded.progress.iteration, 4);
    assert.deepEqual(log.warnings, [damagedWarning(run), fallbackWarning(run, 8)]);
  });

  it('refuse in one line when no checkpoint verifies', () => {
    const run = savedRun('none-verifies', [4, 8]);
    fs.writeFileSync(manifest(run), '{"format": "infogan-checkpoint/1", "checkpoints": 3}');
    corruptMiddle(step(run, 4));
    corruptMiddle(step(run, 8));
    const log = new MemoryLogger();
    assert.throws(() => loadCheckpoint(run, log), (e) => e instanceof UserError &&
      e.message === `no usable checkpoint in ${folder(run)}: step-000000008.safetensors ` +
      'checksum mismatch; step-000000004.safetensors checksum mismatch; and ' +
      `${manifest(run)} is damaged (no checkpoints list)`);
    assert.deepEqual(log.warnings, []);
  });

  it('name a listed file outside the step-*.safetensors pattern as damage', () => {
    const run = savedRun('odd-entry', [4]);
    const listed = JSON.parse(fs.readFileSync(manifest(run), 'utf8'));
    listed.checkpoints[0].file = '../config.json';
    fs.writeFileSync(manifest(run), JSON.stringify(listed));
    const log = new MemoryLogger();
    const loaded = loadCheckpoint(run, log);
    for (const t of loaded.tensors.values()) t.dispose();
    assert.equal(loaded.file, step(run, 4));
    assert.deepEqual(log.warnings, [`${manifest(run)} is damaged (checkpoint entry 1 lacks a ` +
      'step-*.safetensors file, iteration or sha256); checking each checkpoint by its own ' +
      'checksum instead']);
  });

  it('are rebuilt on the next save from the files that verify', () => {
    const run = savedRun('rebuilt', [4, 8]);
    fs.writeFileSync(manifest(run), 'garbage\n');
    corruptMiddle(step(run, 8));
    const config = tinyConfig('rebuilt');
    const state = createTrainingState(config, { height: 28, width: 28, channels: 1 });
    try {
      save(config, state, 5);
    } finally {
      dispose(state);
    }
    const rebuilt = JSON.parse(fs.readFileSync(manifest(run), 'utf8'));
    assert.deepEqual(rebuilt.checkpoints.map((c: { iteration: number }) => c.iteration), [4, 5]);
    for (const entry of rebuilt.checkpoints) assert.match(entry.sha256, /^[0-9a-f]{64}$/);
    // The damaged file is left for the user to look at, but nothing lists it.
    assert.ok(fs.existsSync(step(run, 8)));
    const log = new MemoryLogger();
    const loaded = loadCheckpoint(run, log);
    for (const t of loaded.tensors.values()) t.dispose();
    assert.equal(loaded.progress.iteration, 5);
    assert.deepEqual(log.warnings, []);
  });

  it('catch a corruption of the header too (the counters it carries)', () => {
    const run = savedRun('header', [4, 8]);
    fs.rmSync(manifest(run));
    const file = step(run, 8);
    const bytes = fs.readFileSync(file);
    const at = bytes.indexOf('"iteration\\":8');
    assert.ok(at > 0);
    bytes.write('9', at + '"iteration\\":'.length, 'latin1');
    fs.writeFileSync(file, bytes);
    const log = new MemoryLogger();
    const loaded = loadCheckpoint(run, log);
    for (const t of loaded.tensors.values()) t.dispose();
    assert.equal(loaded.progress.iteration, 4);
    assert.deepEqual(log.warnings, [fallbackWarning(run, 8)]);
  });
});

describe('checkpoints written before embedded checksums', () => {
  it('load with a warning when nothing can check them', () => {
    const run = savedRun('older-unlisted', [4]);
    withoutOwnChecksum(step(run, 4));
    // Listed without a checksum, as a save after a lost manifest used to list it.
    const listed = JSON.parse(fs.readFileSync(manifest(run), 'utf8'));
    listed.checkpoints[0].sha256 = '';
    fs.writeFileSync(manifest(run), JSON.stringify(listed));
    const log = new MemoryLogger();
    const loaded = loadCheckpoint(run, log);
    for (const t of loaded.tensors.values()) t.dispose();
    assert.deepEqual(log.warnings, [`checkpoint ${step(run, 4)} cannot be verified (it carries ` +
      'no checksum and manifest.json lists none); using it unchecked']);
  });

  it('load silently when the manifest lists their checksum, and not when it does not match', () => {
    const run = savedRun('older-checked', [4, 8]);
    withoutOwnChecksum(step(run, 4));
    withoutOwnChecksum(step(run, 8));
    const listed = JSON.parse(fs.readFileSync(manifest(run), 'utf8'));
    for (const entry of listed.checkpoints) {
      entry.sha256 = createHash('sha256').update(fs.readFileSync(step(run, entry.iteration)))
        .digest('hex');
    }
    fs.writeFileSync(manifest(run), JSON.stringify(listed));
    corruptMiddle(step(run, 8));
    const log = new MemoryLogger();
    const loaded = loadCheckpoint(run, log);
    for (const t of loaded.tensors.values()) t.dispose();
    assert.equal(loaded.progress.iteration, 4);
    assert.deepEqual(log.warnings, [fallbackWarning(run, 8)]);
  });
});

describe('sample and evaluate load through a damaged manifest', () => {
  it('the previous good checkpoint when the newest is corrupted', () => {
    const run = savedRun('sample-fallback', [4, 8]);
    fs.writeFileSync(manifest(run), 'garbage\n');
    corruptMiddle(step(run, 8));
    const log = new MemoryLogger();
    const { model, iteration } = loadTrainedModel(run, log);
    model.dispose();
    assert.equal(iteration, 4);
    assert.deepEqual(log.warnings, [damagedWarning(run), fallbackWarning(run, 8)]);
  });

  it('a one-line refusal when the one asked for is corrupted', () => {
    const run = savedRun('sample-refused', [4, 8]);
    fs.writeFileSync(manifest(run), 'garbage\n');
    corruptMiddle(step(run, 8));
    assert.throws(() => loadTrainedModel(run, new MemoryLogger(), 8), (e) =>
      e instanceof UserError && e.message === `no usable checkpoint in ${folder(run)}: ` +
      `step-000000008.safetensors checksum mismatch; and ${manifest(run)} is damaged (not ` +
      'valid JSON)');
  });
});

describe('resume through a damaged manifest', () => {
  it('goes on from the previous good checkpoint, never calling the damaged one good', async () => {
    const config = tinyConfig('resume');
    await train(config, new MemoryLogger());
    fs.writeFileSync(manifest(config.out), 'garbage\n');
    corruptMiddle(step(config.out, 8));
    const log = new MemoryLogger();
    const result = await train({ ...config, resume: config.out, epochs: 2 }, log);
    assert.equal(result.finished, 'completed');
    assert.equal(result.iterations, 16);
    assert.ok(log.lines.some((line) =>
      line.startsWith(`resumed from ${step(config.out, 4)}: iteration 4,`)), log.lines.join('\n'));
    assert.deepEqual(log.warnings, [damagedWarning(config.out), setAsideWarning(config.out, 8)]);
    assert.deepEqual(iterations(config.out), [8, 12, 16]);
    assert.ok(fs.existsSync(`${step(config.out, 8)}.damaged`));
  });
});

describe('a damaged checkpoint found by a training run', () => {
  it('is set aside: never listed, kept in place of a good one, or taken as newest again',
    async () => {
      // As in the user trial: the newest (8) damaged, the resumed run checkpointing past it.
      const config = { ...tinyConfig('set-aside'), checkpointEvery: 3 };
      await train(config, new MemoryLogger());
      assert.deepEqual(iterations(config.out), [3, 6, 8]);
      corruptMiddle(step(config.out, 8));
      const log = new MemoryLogger();
      const result = await train({ ...config, resume: config.out, epochs: 2,
        checkpointEvery: 100 }, log);
      assert.equal(result.iterations, 16);
      assert.deepEqual(log.warnings, [setAsideWarning(config.out, 8)]);
      assert.deepEqual(iterations(config.out), [3, 6, 16]);
      assert.deepEqual(fs.readdirSync(folder(config.out)).sort(), ['manifest.json',
        'step-000000003.safetensors', 'step-000000006.safetensors',
        'step-000000008.safetensors.damaged', 'step-000000016.safetensors']);
      // With the newer checkpoint and the manifest gone, the folder's scan finds 6, not 8.
      fs.rmSync(step(config.out, 16));
      fs.rmSync(manifest(config.out));
      const again = new MemoryLogger();
      const loaded = loadCheckpoint(config.out, again);
      for (const t of loaded.tensors.values()) t.dispose();
      assert.equal(loaded.progress.iteration, 6);
      assert.deepEqual(again.warnings, []);
    });

  it('is left where it is by read-only commands and by a resume into another folder',
    async () => {
      const run = savedRun('read-only', [4, 8]);
      corruptMiddle(step(run, 8));
      const before = snapshot(folder(run));
      const log = new MemoryLogger();
      const { model, iteration } = loadTrainedModel(run, log);
      model.dispose();
      assert.equal(iteration, 4);
      assert.deepEqual(log.warnings, [fallbackWarning(run, 8)]);
      assert.deepEqual(snapshot(folder(run)), before);
      const other = path.join(temp.dir, 'read-only-elsewhere');
      const resumed = new MemoryLogger();
      await train({ ...tinyConfig('read-only'), resume: run, out: other,
        logdir: path.join(other, 'tensorboard') }, resumed);
      assert.deepEqual(resumed.warnings, [fallbackWarning(run, 8)]);
      assert.deepEqual(snapshot(folder(run)), before);
    });
});

/** Every file in `dir` with its bytes, base64. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((name) =>
    [name, fs.readFileSync(path.join(dir, name)).toString('base64')]));
}
