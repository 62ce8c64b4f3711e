import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_TRAIN_CONFIG, defaultRunFolder, type TrainConfig } from '../config/train';
import { Adam, Generator, isInterrupted, rand, tensor, watchStopSignals } from '../torch';
import { InfoGAN } from '../model/infogan';
import { dataset } from '../data/testing';
import { UserError } from '../util/log';
import { pngInfo } from '../util/png';
import { readEventFile } from '../tensorboard/reader.test-util';
import { MemoryLogger } from '../util/log';
import {
  loadCheckpoint, newestCheckpoint, restoreTrainingState, saveCheckpoint, type TrainingState,
} from './checkpoint';
import { trainStep, type StepLosses } from './step';
import { createTrainingState, train } from './trainer';

const MNIST_DIR = dataset('mnist');
const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'infogan-train-test-'));
after(() => fs.rmSync(temp, { recursive: true, force: true }));

function smallRun(name: string, overrides: Partial<TrainConfig> = {}): TrainConfig {
  const out = path.join(temp, name);
  return {
    ...structuredClone(DEFAULT_TRAIN_CONFIG) as TrainConfig,
    dataset: MNIST_DIR,
    maxImages: 256,
    batchSize: 32,
    epochs: 1,
    plotEvery: 4,
    checkpointEvery: 4,
    threads: 2,
    out,
    logdir: path.join(out, 'tensorboard'),
    cacheDir: path.join(temp, 'cache'),
    ...overrides,
  };
}

function tensorBytes(state: ReturnType<typeof createTrainingState>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [prefix, module] of state.model.modules()) {
    for (const [name, t] of module.stateDict()) {
      out.set(`${prefix}.${name}`, Buffer.from(t.toBytes()).toString('base64'));
    }
  }
  return out;
}

describe('train on a slice of the real MNIST', () => {
  it('writes config, grids per code and iteration, checkpoints and TensorBoard events', async () => {
    const config = smallRun('short');
    const log = new MemoryLogger();
    const result = await train(config, log);
    assert.equal(result.iterations, 8);
    assert.equal(result.finished, 'completed');
    const grids = fs.readdirSync(path.join(config.out, 'grids')).sort();
    assert.deepEqual(grids, [
      'categorical_0_iter_0000004.png', 'categorical_0_iter_0000008.png',
      'continuous_0_iter_0000004.png', 'continuous_0_iter_0000008.png',
      'continuous_1_iter_0000004.png', 'continuous_1_iter_0000008.png',
    ]);
    // 10 categories x 10 samples of 28x28 with 1-pixel gaps.
    const png = fs.readFileSync(path.join(config.out, 'grids', 'categorical_0_iter_0000008.png'));
    assert.deepEqual(pngInfo(png), { width: 10 * 29 + 1, height: 10 * 29 + 1, channels: 1 });
    const manifest = JSON.parse(fs.readFileSync(
      path.join(config.out, 'checkpoints', 'manifest.json'), 'utf8'));
    assert.deepEqual(manifest.checkpoints.map((c: { iteration: number }) => c.iteration), [4, 8]);
    const saved = JSON.parse(fs.readFileSync(path.join(config.out, 'config.json'), 'utf8'));
    assert.equal(saved.generator, 'fc:1024,fc:6272,reshape:7:7:128,deconv:4:2:64,deconv:4:2:1:sigmoid');
    assert.equal(saved.batchSize, 32);
    assert.ok(fs.readdirSync(path.join(config.out, 'tensorboard')).some((f) => f.includes('tfevents')));
    const epochLine = log.lines.find((l) => l.startsWith('epoch 1/1:'));
    assert.match(epochLine ?? '', /discriminator_objective \d+\.\d+ generator_objective \d+\.\d+ mutual_info_objective/);
    assert.ok(log.lines.some((l) => l.startsWith('generated image: [28, 28, 1]')));
  });

  it('resumes exactly where it stopped: the same losses step for step and the same weights', async () => {
    const whole = smallRun('whole', { epochs: 2, checkpointEvery: 1000 });
    const wholeLosses: StepLosses[] = [];
    await train(whole, new MemoryLogger(), { afterStep: (_, l) => wholeLosses.push(l) });

    const interrupted = smallRun('interrupted', { epochs: 2, checkpointEvery: 1000 });
    const firstLosses: StepLosses[] = [];
    const firstLog = new MemoryLogger();
    const first = await train(interrupted, firstLog, {
      afterStep: (_, l) => firstLosses.push(l),
      shouldStop: () => firstLosses.length === 5,
    });
    assert.equal(first.finished, 'interrupted');
    assert.equal(first.iterations, 5);
    // The epoch's line says it covers part of the epoch.
    assert.ok(firstLog.lines.some((line) => line.startsWith('epoch 1/2 (steps to 5 of 8): ')));
    const resumedLosses: StepLosses[] = [];
    await train({ ...interrupted, resume: interrupted.out }, new MemoryLogger(),
      { afterStep: (_, l) => resumedLosses.push(l) });
    assert.equal(firstLosses.length + resumedLosses.length, 16);
    assert.deepEqual([...firstLosses, ...resumedLosses], wholeLosses);

    const log = new MemoryLogger();
    const a = createTrainingState(whole, { height: 28, width: 28, channels: 1 });
    const b = createTrainingState(whole, { height: 28, width: 28, channels: 1 });
    const ca = loadCheckpoint(whole.out, log);
    const cb = loadCheckpoint(interrupted.out, log);
    restoreTrainingState(a, ca);
    restoreTrainingState(b, cb);
    assert.deepEqual(tensorBytes(a), tensorBytes(b));
    assert.deepEqual(a.rng.getState(), b.rng.getState());
  });
});

describe('a refused run', () => {
  it('leaves no run folder behind when the batch is larger than the set', async () => {
    const config = smallRun('batch-too-large', { maxImages: 16, batchSize: 32 });
    await assert.rejects(train(config, new MemoryLogger()),
      /--batch_size 32 is larger than the 16 images loaded/);
    assert.equal(fs.existsSync(config.out), false);
  });

  it('leaves no run folder behind when --logdir cannot be written', async () => {
    const config = smallRun('bad-logdir', { epochs: 1 });
    const blocker = `${config.out}-blocker`;
    fs.writeFileSync(blocker, 'a file where the log folder should go');
    try {
      await assert.rejects(train({ ...config, logdir: path.join(blocker, 'tb') }, new MemoryLogger()),
        /^UserError: cannot write TensorBoard logs to --logdir \S+-blocker\/tb \(ENOTDIR\); choose a folder you can write to$/);
    } finally {
      fs.rmSync(blocker);
    }
    assert.equal(fs.existsSync(config.out), false);
  });

  it('writes nothing when stopped while the data loads', async () => {
    const config = smallRun('stopped-early', { epochs: 1 });
    const log = new MemoryLogger();
    const result = await train(config, log, { shouldStop: () => true });
    assert.deepEqual([result.finished, result.iterations], ['interrupted', 0]);
    assert.ok(log.lines.includes('stopped before the first step; nothing to checkpoint'));
    assert.equal(fs.existsSync(config.out), false);
  });

  it('notices a Ctrl-C that comes as the images finish loading, before any step', async () => {
    // A signal's listener runs from the event loop, as this setImmediate queued when the loader
    // says it has the images.
    class SignalOnLoad extends MemoryLogger {
      signalled = false;
      queued = false;

      override info(line: string): void {
        super.info(line);
        if (this.queued || !line.startsWith('loaded ')) return;
        this.queued = true;
        setImmediate(() => (this.signalled = true));
      }
    }
    const config = smallRun('stopped-as-loaded', { epochs: 1 });
    const log = new SignalOnLoad();
    const result = await train(config, log, { shouldStop: () => log.signalled });
    assert.ok(log.queued, 'the loader said it had the images');
    assert.deepEqual([result.finished, result.iterations], ['interrupted', 0]);
    assert.ok(log.lines.includes('stopped before the first step; nothing to checkpoint'));
    assert.equal(fs.existsSync(config.out), false);
  });

  it('removes the runs/ folder it made for the default --out, never one there before', async () => {
    const home = path.join(temp, 'default-out');
    const noImages = path.join(temp, 'no-images');
    fs.mkdirSync(home);
    fs.mkdirSync(noImages);
    fs.writeFileSync(path.join(noImages, 'notes.txt'), 'not an image');
    const cwd = process.cwd();
    process.chdir(home);
    try {
      const out = defaultRunFolder(new Date());
      const config = smallRun('unused', { epochs: 1, out, logdir: path.join(out, 'tensorboard') });
      const place = { defaultOut: true };
      await assert.rejects(train({ ...config, dataset: noImages }, new MemoryLogger(), {}, place),
        /no readable images in /);
      assert.deepEqual(fs.readdirSync(home), [], 'refused');
      const stop = { shouldStop: () => true };
      assert.equal((await train(config, new MemoryLogger(), stop, place)).iterations, 0);
      assert.deepEqual(fs.readdirSync(home), [], 'stopped before the first step');
      fs.mkdirSync(path.join(home, 'runs'));
      await train(config, new MemoryLogger(), stop, place);
      assert.deepEqual([fs.readdirSync(home), fs.readdirSync(path.join(home, 'runs'))],
        [['runs'], []]);
    } finally {
      process.chdir(cwd);
    }
  });

  it('quits in the middle of a step at a second stop signal, keeping only checkpointed work',
    async () => {
      const listener = () => {};
      process.on('SIGTERM', listener);
      watchStopSignals(true);
      try {
        for (const at of [2, 5]) {
          const config = smallRun(`interrupted-at-${at}`, { epochs: 2 });
          const log = new MemoryLogger();
          // Both signals land between steps here; the next computing call is refused.
          const afterStep = (iteration: number) => {
            if (iteration !== at) return;
            process.kill(process.pid, 'SIGTERM');
            process.kill(process.pid, 'SIGTERM');
          };
          await assert.rejects(train(config, log, { afterStep }),
            (error: unknown) => isInterrupted(error) && error.signal === 'SIGTERM');
          watchStopSignals(false); // a fresh count for the next run
          watchStopSignals(true);
          if (at === 2) {
            assert.equal(fs.existsSync(config.out), false, 'nothing checkpointed: nothing kept');
            assert.ok(log.warnings.includes('quit before the first checkpoint, so nothing was kept'));
          } else {
            assert.ok(log.warnings.includes(
              `quit; --resume ${config.out} continues from its last checkpoint`));
            const resumed = await train({ ...config, resume: config.out }, new MemoryLogger());
            assert.equal(resumed.finished, 'completed');
          }
        }
      } finally {
        watchStopSignals(false);
        process.off('SIGTERM', listener);
      }
    });

  it('quits at a second stop signal that comes as the final checkpoint is written', async () => {
    const listener = () => {};
    process.on('SIGTERM', listener);
    watchStopSignals(true);
    try {
      const config = smallRun('interrupted-final', { checkpointEvery: 3 });
      const log = new MemoryLogger();
      let stopAsked = false;
      // The first stop comes after step 5; the second as the checkpoint of step 5 is gathered.
      const afterStep = (iteration: number, _: StepLosses, state: TrainingState) => {
        if (iteration !== 5) return;
        stopAsked = true;
        const getState = state.rng.getState.bind(state.rng);
        state.rng.getState = () => {
          process.kill(process.pid, 'SIGTERM');
          process.kill(process.pid, 'SIGTERM');
          return getState();
        };
      };
      await assert.rejects(train(config, log, { afterStep, shouldStop: () => stopAsked }),
        (error: unknown) => isInterrupted(error) && error.signal === 'SIGTERM');
      assert.deepEqual(log.warnings, [`quit; --resume ${config.out} continues from its last ` +
        'checkpoint']);
      assert.equal(newestCheckpoint(config.out), path.join(config.out, 'checkpoints',
        'step-000000003.safetensors'));
    } finally {
      watchStopSignals(false);
      process.off('SIGTERM', listener);
    }
  });

  it('claims the next free folder when a run started in the same second took its default one',
    async () => {
      const taken = path.join(temp, 'same-second', '2026-12-04_16-47-14');
      fs.mkdirSync(taken, { recursive: true }); // claimed, but not yet written, by the other run
      const config = smallRun('unused', { maxImages: 64, out: taken,
        logdir: path.join(taken, 'tensorboard') });
      const log = new MemoryLogger();
      const result = await train(config, log, {}, { defaultOut: true });
      assert.equal(path.dirname(path.dirname(result.checkpoint)), `${taken}-2`);
      assert.ok(log.lines.includes(`${taken} is taken by a run started in the same second; ` +
        `this run writes to ${taken}-2`));
      assert.deepEqual(fs.readdirSync(taken), [], 'the other run\'s folder is left alone');
      assert.ok(fs.readdirSync(path.join(`${taken}-2`, 'tensorboard')).length > 0);
      assert.equal(fs.existsSync(path.join(`${taken}-2`, '.lock')), false, 'unlocked');
    });

  it('refuses a run folder another run is writing, and frees it when that run ends',
    async () => {
      const config = smallRun('in-use', { maxImages: 64 });
      const first = train(config, new MemoryLogger());
      await assert.rejects(train({ ...config, resume: config.out }, new MemoryLogger()),
        new RegExp(`^UserError: --resume ${config.out} is in use by another infogan run ` +
          `\\(pid ${process.pid}\\); wait for it to end or choose another --resume$`));
      assert.equal((await first).finished, 'completed');
      const resumed = await train({ ...config, resume: config.out, epochs: 2 }, new MemoryLogger());
      assert.equal(resumed.iterations, 4);
    });

  it('lists every file the data left out in skipped-files.txt', async () => {
    const images = path.join(temp, 'junk-folder');
    fs.mkdirSync(images);
    for (let i = 1; i <= 16; i++) {
      const name = `${String(i).padStart(6, '0')}.jpg`;
      fs.copyFileSync(dataset('celeba-10k', 'img_align_celeba', name), path.join(images, name));
    }
    fs.writeFileSync(path.join(images, 'notes.txt'), 'not a face');
    fs.writeFileSync(path.join(images, 'empty.jpg'), '');
    fs.writeFileSync(path.join(images, 'line\nbreak.txt'), 'a name with a newline');
    fs.writeFileSync(path.join(images, 'tab\there\\.txt'), 'a tab and a backslash');
    const config = smallRun('skipped-list', { dataset: images, scale: { width: 28, height: 28 },
      forceGrayscale: true, maxImages: undefined, batchSize: 8 });
    const log = new MemoryLogger();
    await train(config, log);
    const list = path.join(config.out, 'skipped-files.txt');
    assert.equal(fs.readFileSync(list, 'utf8'),
      'empty.jpg\tempty\nline\\nbreak.txt\tnot an image\nnotes.txt\tnot an image\n' +
      'tab\\there\\\\.txt\tnot an image\n');
    assert.ok(log.lines.includes(`the 4 files and folders left out are listed in ${list}`));
  });

  it('stops decoding an image folder at a Ctrl-C instead of decoding the rest', async () => {
    const config = smallRun('stopped-decoding', { dataset: dataset('celeba-10k', 'img_align_celeba'),
      scale: { width: 28, height: 28 }, forceGrayscale: true, maxImages: 200, threads: 1,
      cacheDir: path.join(temp, 'stopped-decoding-cache') });
    const log = new MemoryLogger();
    let asked = 0;
    const result = await train(config, log, { shouldStop: () => ++asked > 0 });
    assert.deepEqual([result.finished, result.iterations], ['interrupted', 0]);
    assert.ok(log.lines.includes('stopped before the first step; nothing to checkpoint'));
    assert.equal(log.lines.some((line) => line.startsWith('decoded ')), false, 'not all decoded');
    assert.equal(asked, 1, 'asked once, after the first batch');
    assert.equal(fs.existsSync(config.out), false);
    assert.equal(fs.existsSync(config.cacheDir!), false, 'a partial set is not cached');
  });
});

describe('--augment, --real_info_lambda and --invariance_lambda', () => {
  it('say what they use, log their terms, and resume exactly', async () => {
    const settings: Partial<TrainConfig> = {
      epochs: 2, checkpointEvery: 1000, augment: ['translation', 'cutout', 'flip'], realInfoLambda: 1,
      invarianceLambda: 1,
    };
    const whole = smallRun('augmented-whole', settings);
    const log = new MemoryLogger();
    const wholeLosses: StepLosses[] = [];
    await train(whole, log, { afterStep: (_, l) => wholeLosses.push(l) });
    assert.ok(log.lines.includes(
      'augmentation: the discriminator sees real and generated images through translation, cutout, flip'));
    assert.ok(wholeLosses.every((l) => l.realInformation !== undefined &&
      l.realInformation <= 1e-6 && l.realInformation >= -Math.log(10) - 1e-6));
    assert.ok(wholeLosses.every((l) => l.invariance !== undefined && l.invariance > 0));

    const interrupted = smallRun('augmented-interrupted', settings);
    const firstLosses: StepLosses[] = [];
    await train(interrupted, new MemoryLogger(), {
      afterStep: (_, l) => firstLosses.push(l),
      shouldStop: () => firstLosses.length === 5,
    });
    const resumedLosses: StepLosses[] = [];
    await train({ ...interrupted, resume: interrupted.out }, new MemoryLogger(),
      { afterStep: (_, l) => resumedLosses.push(l) });
    assert.deepEqual([...firstLosses, ...resumedLosses], wholeLosses);
  });

  it('points a small set without augmentation to --augment', async () => {
    const log = new MemoryLogger();
    await train(smallRun('small-hint', { epochs: 1 }), log);
    assert.ok(log.lines.some((l) => l.startsWith('only 256 images: ') &&
      l.endsWith('train with --augment translation,cutout')));
  });
});

describe('semi-supervised training (--labeled)', () => {
  it('says what it uses, logs the supervised loss each step, and resumes exactly', async () => {
    const whole = smallRun('labeled-whole', { labeled: 20, checkpointEvery: 1000 });
    const log = new MemoryLogger();
    const wholeLosses: StepLosses[] = [];
    await train(whole, log, { afterStep: (_, l) => wholeLosses.push(l) });
    assert.ok(log.lines.includes('semi-supervised: labels of 20 images (2 per class) tie ' +
      'categorical code 0 to the 10 classes, 20 of them per step, weight 1'), log.lines.join('\n'));
    assert.ok(wholeLosses.every((l) => typeof l.supervised === 'number' && l.supervised > 0));
    const files = fs.readdirSync(whole.logdir!).filter((f) => f.includes('tfevents'));
    const { events } = readEventFile(path.join(whole.logdir!, files[0]));
    const logged = events.flatMap((e) => e.values.filter((v) => v.tag === 'supervised_objective')
      .map(() => e.step));
    assert.deepEqual(logged, [1, 2, 3, 4, 5, 6, 7, 8]);

    const interrupted = smallRun('labeled-interrupted', { labeled: 20, checkpointEvery: 1000 });
    const losses: StepLosses[] = [];
    await train(interrupted, new MemoryLogger(), {
      afterStep: (_, l) => losses.push(l), shouldStop: () => losses.length === 3 });
    await train({ ...interrupted, resume: interrupted.out }, new MemoryLogger(),
      { afterStep: (_, l) => losses.push(l) });
    assert.deepEqual(losses, wholeLosses);
  });

  it('refuses data without classes and a code too small for them', async () => {
    await assert.rejects(train(smallRun('labeled-small-code', { labeled: 20,
      categoricalCardinality: [5] }), new MemoryLogger()),
    /the data has 10 classes but the first categorical code has 5 values; use --categorical_cardinality 10/);
  });
});

describe('resuming with fewer --epochs than done', () => {
  it('is refused in one line, before the data is read, leaving config.json as it was', async () => {
    const config = smallRun('past-epochs', { epochs: 2, checkpointEvery: 1000 });
    await train(config, new MemoryLogger());
    const saved = fs.readFileSync(path.join(config.out, 'config.json'), 'utf8');
    const refused = new MemoryLogger();
    await assert.rejects(train({ ...config, epochs: 1, resume: config.out }, refused),
      (error: unknown) => error instanceof UserError && error.exitCode === 2 &&
        error.message === `--epochs 1: ${config.out} has trained 2 epochs (iteration 16); ` +
          'give --epochs 3 or more to train on');
    assert.deepEqual(refused.lines.filter((line) => line.startsWith('loaded ')), []);
    assert.equal(fs.readFileSync(path.join(config.out, 'config.json'), 'utf8'), saved);
    const log = new MemoryLogger();
    await train({ ...config, resume: config.out }, log);
    assert.ok(log.lines.includes(`${config.out} has trained its 2 epochs (iteration 16); give ` +
      '--epochs 3 or more to train on'), log.lines.join('\n'));
  });
});

describe('TensorBoard log of a run', () => {
  it('holds every scalar each step, grids by code, Q histograms, hparams, one curve across resume', async () => {
    const config = smallRun('events', { fixStd: false, epochs: 2 });
    let done = 0;
    await train(config, new MemoryLogger(), {
      afterStep: () => { done += 1; },
      shouldStop: () => done === 10,
    });
    await train({ ...config, resume: config.out }, new MemoryLogger());
    const files = fs.readdirSync(config.logdir!).filter((f) => f.includes('tfevents'));
    assert.equal(files.length, 1, 'resume appends to the same event file');
    const { events } = readEventFile(path.join(config.logdir!, files[0]));
    const byTag = new Map<string, number[]>();
    for (const event of events) {
      for (const value of event.values) {
        byTag.set(value.tag, [...(byTag.get(value.tag) ?? []), event.step]);
      }
    }
    const steps = Array.from({ length: 16 }, (_, i) => i + 1);
    for (const tag of ['discriminator_objective', 'generator_objective', 'mutual_info_objective',
      'll_categorical_objective', 'll_continuous_objective', 'generator_lr', 'discriminator_lr',
      'd_real', 'd_fake', 'images_per_second', 'q_std/continuous_0', 'q_std/continuous_1']) {
      assert.deepEqual(byTag.get(tag), steps, `${tag}: one point per step, no duplicates`);
    }
    assert.deepEqual(byTag.get('categorical/0'), [4, 8, 10, 12, 16]);
    assert.deepEqual(byTag.get('continuous/1'), [4, 8, 10, 12, 16]);
    assert.deepEqual(byTag.get('q_continuous/0'), [8, 16]);
    const image = events.flatMap((e) => e.values).find((v) => v.tag === 'categorical/0')!.image!;
    assert.deepEqual(pngInfo(image.encoded), { width: image.width, height: image.height, channels: 1 });
    const histogram = events.flatMap((e) => e.values).find((v) => v.tag === 'q_continuous/0')!.histogram!;
    assert.equal(histogram.num, 256);
    assert.ok(events.some((e) => e.values.some((v) => v.pluginName === 'hparams')));
  });
});

describe('disk trouble outside checkpoints', () => {
  it('a TensorBoard write failing mid-run is one warning and training goes on', async () => {
    const config = smallRun('events-enospc');
    const log = new MemoryLogger();
    // The module object itself: the compiled `import * as fs` only has getters onto it.
    const nodeFs = require('node:fs') as { writeSync: typeof fs.writeSync };
    const realWriteSync = nodeFs.writeSync;
    let eventsInode = -1;
    const stub = ((fd: number, ...rest: unknown[]) => {
      if (fs.fstatSync(fd).ino === eventsInode) {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      return (realWriteSync as (...a: unknown[]) => number)(fd, ...rest);
    }) as typeof fs.writeSync;
    try {
      const result = await train(config, log, {
        afterStep: (iteration) => {
          if (iteration !== 3) return;
          const file = fs.readdirSync(config.logdir!).find((f) => f.includes('tfevents'))!;
          eventsInode = fs.statSync(path.join(config.logdir!, file)).ino;
          nodeFs.writeSync = stub;
        },
      });
      assert.equal(result.finished, 'completed');
      assert.equal(result.iterations, 8);
    } finally {
      nodeFs.writeSync = realWriteSync;
    }
    assert.equal(log.warnings.length, 1, log.warnings.join('\n'));
    assert.match(log.warnings[0], /TensorBoard logging to .* failed \(.*ENOSPC.*\); training goes on/);
    assert.ok(fs.existsSync(path.join(config.out, 'checkpoints', 'step-000000008.safetensors')));
  });
});

describe('a failure while plotting', () => {
  it('is one warning: the run trains on, checkpoints, and skips the grids after', async () => {
    const config = smallRun('grid-fails', { checkpointEvery: 1000 });
    const log = new MemoryLogger();
    const result = await train(config, log, {
      afterStep: (iteration, _, state) => {
        if (iteration !== 3) return;
        // As a grid too large for memory: libtorch's error, from the generator's forward pass
        // in evaluation mode, which only the grids use.
        const generate = state.model.generate.bind(state.model);
        state.model.generate = (latent) => {
          if (state.model.generator.isTraining) return generate(latent);
          throw new Error('[enforce fail at alloc_cpu.cpp:75] err == 0. DefaultCPUAllocator: ' +
            "can't allocate memory: you tried to allocate 800000000000 bytes.");
        };
      },
    });
    assert.equal(result.finished, 'completed');
    assert.equal(result.iterations, 8);
    assert.deepEqual(log.warnings, ['traversal grids at iteration 4 failed ([enforce fail at ' +
      'alloc_cpu.cpp:75] err == 0. DefaultCPUAllocator: can\'t allocate memory: you tried to ' +
      'allocate 800000000000 bytes.); training goes on without them']);
    assert.equal(fs.existsSync(path.join(config.out, 'grids')), false);
    assert.ok(fs.existsSync(path.join(config.out, 'checkpoints', 'step-000000008.safetensors')));
  });

  it('at the end of the last epoch comes after its checkpoint', async () => {
    const config = smallRun('last-grid-fails', { plotEvery: 1000, checkpointEvery: 1000 });
    const log = new MemoryLogger();
    let checkpointed = false;
    const result = await train(config, log, {
      afterStep: (iteration, _, state) => {
        if (iteration !== 8) return;
        const generate = state.model.generate.bind(state.model);
        state.model.generate = (latent) => {
          if (state.model.generator.isTraining) return generate(latent);
          checkpointed = fs.existsSync(
            path.join(config.out, 'checkpoints', 'step-000000008.safetensors'));
          throw new Error('out of memory');
        };
      },
    });
    assert.equal(checkpointed, true, 'the checkpoint is on disk before the grids are drawn');
    assert.equal(result.checkpoint, path.join(config.out, 'checkpoints',
      'step-000000008.safetensors'));
    assert.match(log.warnings.join('\n'),
      /^traversal grids at iteration 8 failed \(out of memory\)/);
  });
});

describe('divergence', () => {
  const poison = (state: ReturnType<typeof createTrainingState>) => {
    const weight = state.model.generator.parameters()[0];
    const values = weight.toFloat32Array().fill(NaN);
    const nan = tensor(values, weight.shape);
    weight.copy_(nan);
    nan.dispose();
  };

  it('stops with a message naming the step and the last good checkpoint', async () => {
    const config = smallRun('nan-stop');
    await assert.rejects(train(config, new MemoryLogger(), {
      afterStep: (iteration, _, state) => { if (iteration === 5) poison(state); },
    }), /training diverged at iteration 6: .*last good checkpoint: .*step-000000004\.safetensors/);
  });

  it('with --on_nan rollback, restores the last checkpoint, halves the rates and goes on', async () => {
    const config = smallRun('nan-rollback', { onNan: 'rollback' });
    const log = new MemoryLogger();
    let poisoned = false;
    const result = await train(config, log, {
      afterStep: (iteration, _, state) => {
        if (iteration === 5 && !poisoned) {
          poisoned = true;
          poison(state);
        }
      },
    });
    assert.equal(result.finished, 'completed');
    assert.equal(result.iterations, 8);
    assert.equal(log.warnings.length, 1);
    assert.match(log.warnings[0], /diverged at iteration 6.*rolled back to .*step-000000004.*generator 0\.0005, discriminator 0\.0001/);
    const saved = loadCheckpoint(config.out, log);
    assert.deepEqual(saved.optimizers.generator.lr, 0.0005);
  });
});

describe('checkpoints', () => {
  it('round-trip every tensor bit for bit, with progress and random stream', () => {
    const config = smallRun('roundtrip');
    const image = { height: 28, width: 28, channels: 1 as const };
    const state = createTrainingState(config, image);
    const real = rand([16, 1, 28, 28], new Generator(9));
    const context = { ...state, lambdas: { categorical: 1, continuous: 1 } };
    trainStep(context, real);
    trainStep(context, real);
    state.progress.iteration = 2;
    state.progress.batchInEpoch = 2;
    saveCheckpoint(config.out, state, { note: 'test' }, 3);

    const copy = createTrainingState({ ...config, seed: 999 }, image);
    const checkpoint = loadCheckpoint(config.out, new MemoryLogger());
    restoreTrainingState(copy, checkpoint);
    assert.deepEqual(tensorBytes(copy), tensorBytes(state));
    assert.deepEqual(copy.progress, state.progress);
    assert.equal(copy.generatorOptimizer.steps, 2);
    const moments = (o: Adam) => [...o.stateDict().tensors.values()].map((t) =>
      Buffer.from(t.toBytes()).toString('base64'));
    assert.deepEqual(moments(copy.generatorOptimizer), moments(state.generatorOptimizer));
    assert.deepEqual(copy.rng.getState(), state.rng.getState());
    assert.deepEqual(checkpoint.config, { note: 'test' });
    real.dispose();
  });

  it('falls back to the previous checkpoint, with a warning, when the newest is damaged', () => {
    const config = smallRun('fallback');
    const state = createTrainingState(config, { height: 28, width: 28, channels: 1 });
    state.progress.iteration = 1;
    saveCheckpoint(config.out, state, {}, 3);
    state.progress.iteration = 2;
    const newest = saveCheckpoint(config.out, state, {}, 3);
    const bytes = fs.readFileSync(newest);
    fs.writeFileSync(newest, bytes.subarray(0, bytes.length - 100));
    const log = new MemoryLogger();
    const loaded = loadCheckpoint(config.out, log);
    assert.equal(loaded.progress.iteration, 1);
    assert.equal(log.warnings.length, 1);
    assert.match(log.warnings[0], /step-000000002\.safetensors is unusable \(checksum mismatch\)/);
  });

  it('keeps only the newest K checkpoints', () => {
    const config = smallRun('keep');
    const state = createTrainingState(config, { height: 28, width: 28, channels: 1 });
    for (let i = 1; i <= 5; i++) {
      state.progress.iteration = i;
      saveCheckpoint(config.out, state, {}, 2);
    }
    const files = fs.readdirSync(path.join(config.out, 'checkpoints')).sort();
    assert.deepEqual(files, ['manifest.json', 'step-000000004.safetensors', 'step-000000005.safetensors']);
  });
});

describe('a training step', () => {
  it('leaves the discriminator unchanged in the generator step and changes the generator', () => {
    const model = new InfoGAN(DEFAULT_TRAIN_CONFIG, { height: 28, width: 28, channels: 1 },
      new Generator(11));
    const snapshot = (params: { toBytes(): Uint8Array }[]) =>
      params.map((p) => Buffer.from(p.toBytes()).toString('base64'));
    // With D's learning rate at 0, only the generator + Q step can move anything.
    const context = {
      model, rng: new Generator(12), lambdas: { categorical: 1, continuous: 1 },
      generatorOptimizer: new Adam(model.generatorParameters(), { lr: 1e-3, betas: [0.5, 0.999] }),
      discriminatorOptimizer: new Adam(model.discriminatorParameters(), { lr: 0, betas: [0.5, 0.999] }),
    };
    const headBefore = snapshot(model.realFakeHead.parameters());
    const bodyBefore = snapshot(model.discriminatorBody.parameters());
    const generatorBefore = snapshot(model.generator.parameters());
    const real = rand([16, 1, 28, 28], new Generator(13));
    trainStep(context, real);
    assert.deepEqual(snapshot(model.realFakeHead.parameters()), headBefore);
    assert.deepEqual(snapshot(model.discriminatorBody.parameters()), bodyBefore);
    assert.notDeepEqual(snapshot(model.generator.parameters()), generatorBefore);
    real.dispose();
    model.dispose();
  });
});
