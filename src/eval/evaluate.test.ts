import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { main } from '../cli/main';
import { DEFAULT_EVALUATE_CONFIG, type EvaluateConfig } from '../config/evaluate';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../config/train';
import { loadDataset } from '../data';
import { datasetsRoot } from '../data/testing';
import { parseSpec } from '../model/spec';
import { readEventFile } from '../tensorboard/reader.test-util';
import { memory } from '../torch';
import { loadTrainedModel } from '../train/run';
import { train } from '../train/trainer';
import { MemoryLogger, UserError } from '../util/log';
import { encodePng, pngInfo } from '../util/png';
import { evaluate, type Evaluation } from './evaluate';
import { matchedAccuracy } from './metrics';
import { categoricalAccuracy } from './predict';

const DATASETS = datasetsRoot();
const MNIST_DIR = path.join(DATASETS, 'mnist');
const CELEBA_DIR = path.join(DATASETS, 'celeba-10k', 'img_align_celeba');
const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'infogan-evaluate-test-'));
after(() => fs.rmSync(temp, { recursive: true, force: true }));

/** A narrow discriminator, so that a run trains in seconds on two shared cores. */
const SMALL_DISCRIMINATOR = 'conv:4:2:16:lrelu,conv:4:2:32:lrelu,fc:128:lrelu';

/** 256 MNIST digits, batch 32, one epoch: 8 steps, as in the trainer's tests, narrower. */
function tinyRun(name: string, overrides: Partial<TrainConfig> = {}): TrainConfig {
  const out = path.join(temp, name);
  return {
    ...structuredClone(DEFAULT_TRAIN_CONFIG) as TrainConfig,
    dataset: MNIST_DIR,
    maxImages: 256,
    batchSize: 32,
    epochs: 1,
    plotEvery: 1000,
    checkpointEvery: 1000,
    threads: 2,
    generator: parseSpec('fc:256,fc:7x7x32,reshape:7:7:32,deconv:4:2:16,deconv:4:2:1:sigmoid',
      'generator'),
    discriminator: parseSpec(SMALL_DISCRIMINATOR, 'discriminator'),
    out,
    logdir: path.join(out, 'tensorboard'),
    cacheDir: path.join(temp, 'cache'),
    ...overrides,
  };
}

function evaluateConfig(run: string, overrides: Partial<EvaluateConfig> = {}): EvaluateConfig {
  return { ...DEFAULT_EVALUATE_CONFIG, run, out: path.join(run, 'evaluation.json'), ...overrides };
}

/** The PNGs a report embeds, decoded from its data URLs. */
function embeddedPngs(html: string): Buffer[] {
  return [...html.matchAll(/src="data:image\/png;base64,([A-Za-z0-9+/=]+)"/g)]
    .map((match) => Buffer.from(match[1], 'base64'));
}

describe('evaluate a tiny MNIST run', () => {
  const config = tinyRun('mnist');
  const trainLog = new MemoryLogger();
  const log = new MemoryLogger();
  let evaluation: Evaluation;

  before(async () => {
    await train(config, trainLog);
    const report = path.join(temp, 'report', 'mnist.html');
    evaluation = await evaluate(evaluateConfig(config.out, { maxImages: 256, report }), log);
  });

  it('logs the categorical accuracy after the epoch, on the console and in TensorBoard', () => {
    const line = trainLog.lines.find((l) => l.startsWith('epoch 1: categorical_accuracy'));
    assert.match(line ?? '', /^epoch 1: categorical_accuracy [01]\.\d\d$/);
    const files = fs.readdirSync(config.logdir!).filter((f) => f.includes('tfevents'));
    const scalars = files.flatMap((f) => readEventFile(path.join(config.logdir!, f)).events)
      .flatMap((e) => e.values.map((v) => ({ step: e.step, ...v })))
      .filter((v) => v.tag === 'categorical_accuracy');
    assert.equal(scalars.length, 1);
    assert.equal(scalars[0].step, 8);
    assert.equal(scalars[0].simpleValue!.toFixed(2), line!.split(' ').at(-1));
  });

  it('writes per-code accuracy and a 10 x K confusion matrix over every image', () => {
    const saved = JSON.parse(fs.readFileSync(path.join(config.out, 'evaluation.json'), 'utf8'));
    assert.deepEqual(saved, JSON.parse(JSON.stringify(evaluation)));
    assert.equal(saved.images, 256);
    assert.equal(saved.iteration, 8);
    assert.equal(saved.nmiNormalisation, 'arithmetic');
    assert.deepEqual(saved.warnings, []);
    assert.deepEqual(saved.codes.map((c: { name: string }) => c.name),
      ['categorical_0', 'continuous_0', 'continuous_1']);
    const classes = saved.codes[0].classes;
    assert.ok(classes.accuracy >= 0 && classes.accuracy <= 1);
    assert.ok(classes.nmi >= 0 && classes.nmi <= 1);
    assert.equal(classes.confusion.length, 10);
    assert.ok(classes.confusion.every((row: number[]) => row.length === 10));
    assert.equal(classes.confusion.flat().reduce((a: number, b: number) => a + b, 0), 256);
    assert.equal(classes.accuracy, matchedAccuracy(classes.confusion).accuracy);
    assert.equal(saved.codes[1].classes, undefined, 'continuous codes are not matched to classes');
  });

  it('prints a line per code', () => {
    assert.ok(log.lines.includes(`evaluated iteration 8 of ${config.out} on 256 images of ` +
      `${MNIST_DIR}`));
    const score = '[01]\\.\\d\\d';
    const classes = new RegExp(`^categorical 0 -> 10 classes +accuracy ${score}, ` +
      `NMI ${score}, purity ${score}$`);
    assert.ok(log.lines.some((l) => classes.test(l)), log.lines.join('\n'));
    assert.ok(log.lines.some((l) => /^continuous 1 +no label/.test(l)));
    assert.ok(log.lines.includes(`wrote ${path.join(config.out, 'evaluation.json')}`));
  });

  it('writes a self-contained report with each code\'s traversal grid', () => {
    const html = fs.readFileSync(path.join(temp, 'report', 'mnist.html'), 'utf8');
    const pngs = embeddedPngs(html);
    assert.equal(pngs.length, 3);
    // 10 rows x 10 columns of 28x28 with 1-pixel gaps, as the training grids.
    for (const png of pngs) {
      assert.deepEqual(pngInfo(png), { width: 291, height: 291, channels: 1 });
    }
    const grid = fs.readdirSync(path.join(config.out, 'grids'))
      .find((f) => f.startsWith('categorical_0_iter_0000008'));
    assert.deepEqual(pngs[0], fs.readFileSync(path.join(config.out, 'grids', grid!)),
      'the report\'s traversal is the training grid of the same checkpoint');
    assert.doesNotMatch(html, /<script|src="http/);
    assert.match(html, /<section id="categorical_0">[^]*accuracy \d\.\d{3}[^]*confusion matrix/);
  });

  it('categoricalAccuracy agrees with evaluate, leaks no tensor, restores the mode', async () => {
    const dataset = await loadDataset({ dataset: MNIST_DIR, maxImages: 256, seed: config.seed },
      new MemoryLogger());
    const { model } = loadTrainedModel(config.out, new MemoryLogger());
    try {
      model.train(true);
      const before = memory().numTensors;
      const accuracy = categoricalAccuracy(model, dataset);
      assert.equal(memory().numTensors, before);
      assert.equal(model.discriminatorBody.isTraining, true);
      assert.equal(accuracy, evaluation.codes[0].classes!.accuracy);
      const few = categoricalAccuracy(model, dataset, 10)!;
      assert.ok(few >= 0 && few <= 1 && Number.isInteger(few * 10));
      assert.equal(categoricalAccuracy(model, { ...dataset, labels: undefined }), null);
    } finally {
      model.dispose();
    }
  });

  it('runs from the command line', async () => {
    const out = path.join(temp, 'cli', 'scores.json');
    const code = await main(['evaluate', '--run', config.out, '--max_images', '64', '--out', out,
      '--quiet']);
    assert.equal(code, 0);
    assert.equal(JSON.parse(fs.readFileSync(out, 'utf8')).images, 64);
  });

  it('refuses images without labels in one line', async () => {
    const folder = (name: string, size: number) => {
      const dir = path.join(temp, name);
      fs.mkdirSync(dir, { recursive: true });
      for (let i = 0; i < 3; i++) {
        const pixels = new Uint8Array(size * size).fill(40 * i);
        fs.writeFileSync(path.join(dir, `${i}.png`), encodePng(pixels, size, size, 1));
      }
      return dir;
    };
    const expectError = async (dataset: string, pattern: RegExp) => {
      await assert.rejects(evaluate(evaluateConfig(config.out, { dataset,
        out: path.join(temp, 'unused.json') }), new MemoryLogger()), (error: unknown) => {
        assert.ok(error instanceof UserError, String(error));
        assert.doesNotMatch(error.message, /\n/);
        assert.match(error.message, pattern);
        return true;
      });
    };
    await expectError(folder('unlabelled', 28), /has no labels to evaluate against: expected/);
  });

  it('scores other images resized to the run\'s size and in grey, as it was trained', async () => {
    const people = path.join(temp, 'people');
    for (const [who, shade] of [['ann', 60], ['bob', 200]] as const) {
      fs.mkdirSync(path.join(people, who), { recursive: true });
      for (let i = 0; i < 3; i++) {
        const pixels = Uint8Array.from({ length: 32 * 32 * 3 }, (_, k) => shade + i + (k % 3) * 20);
        fs.writeFileSync(path.join(people, who, `${i}.png`), encodePng(pixels, 32, 32, 3));
      }
    }
    const scored = await evaluate(evaluateConfig(config.out, { dataset: people,
      out: path.join(temp, 'people.json') }), new MemoryLogger());
    assert.deepEqual([scored.images, scored.labels.classes], [6, 2]);
  });

  it('warns that scores against a single class say nothing: on the console, in the JSON and ' +
    'in the report', async () => {
    const folder = path.join(temp, 'one-class');
    for (const file of ['ann/0.png', 'ann/1.png', 'bob/0.png']) {
      fs.mkdirSync(path.dirname(path.join(folder, file)), { recursive: true });
      const pixels = Uint8Array.from({ length: 28 * 28 }, (_, k) => (k * 7) % 256);
      fs.writeFileSync(path.join(folder, file), encodePng(pixels, 28, 28, 1));
    }
    const labels = path.join(temp, 'one-class.txt');
    fs.writeFileSync(labels, 'ann/0.png ann\n');
    const [out, report] = [path.join(temp, 'one-class.json'), path.join(temp, 'one-class.html')];
    const oneLog = new MemoryLogger();
    await evaluate(evaluateConfig(config.out, { dataset: folder, labels, out, report }), oneLog);
    const warning = 'only 1 class among the 1 labelled image (of 3): accuracy, NMI and purity ' +
      'against fewer than 2 classes say nothing about what a categorical code learned; give ' +
      'labels of 2 or more classes';
    assert.deepEqual(oneLog.warnings, [warning]);
    assert.deepEqual(JSON.parse(fs.readFileSync(out, 'utf8')).warnings, [warning]);
    assert.ok(fs.readFileSync(report, 'utf8').includes(`<p class="note">warning: ${warning}</p>`));
    assert.ok(oneLog.lines.some((l) => /^categorical 0 -> 1 class +accuracy 1\.00/.test(l)));
  });
});

describe('evaluate a tiny CelebA run against its 40 attributes', () => {
  const config = tinyRun('celeba', {
    dataset: CELEBA_DIR,
    maxImages: 64,
    scale: { width: 32, height: 32 },
    forceGrayscale: true,
    categoricalCardinality: [4],
    generator: parseSpec('fc:1024,fc:8x8x64,reshape:8:8:64,deconv:4:2:32,deconv:4:2:1:sigmoid',
      'generator'),
  });
  const log = new MemoryLogger();
  let evaluation: Evaluation;

  before(async () => {
    await train(config, new MemoryLogger());
    evaluation = await evaluate(evaluateConfig(config.out, { maxImages: 64 }), log);
  });

  it('scores every code against each attribute present and absent among the images', async () => {
    const dataset = await loadDataset({ dataset: CELEBA_DIR, maxImages: 64, seed: config.seed,
      scale: config.scale, forceGrayscale: true, cacheDir: config.cacheDir }, new MemoryLogger());
    const attributes = dataset.labels!.attributes!;
    assert.equal(attributes.names.length, 40);
    const scorable = attributes.names.filter((_, a) => {
      const column = Array.from({ length: dataset.count }, (_, i) => attributes.values[i * 40 + a]);
      return column.includes(1) && column.includes(-1);
    });
    assert.ok(scorable.length >= 30, `${scorable.length} attributes with both signs`);
    const uniform = attributes.names.filter((name) => !scorable.includes(name));
    assert.deepEqual(evaluation.warnings, uniform.length === 0 ? [] : ['attributes with one ' +
      'value on all 64 images with an attribute row are not scored (they have no AUC): ' +
      `${uniform.slice(0, 3).join(', ')}${uniform.length > 3 ? ', ...' : ''} ` +
      `(${uniform.length} of 40)`]);
    assert.deepEqual(log.warnings, evaluation.warnings);
    assert.equal(evaluation.images, 64);
    assert.equal(evaluation.labels.attributes, 40);
    assert.equal(evaluation.codes.length, 3);
    for (const code of evaluation.codes) {
      const scores = code.attributes!;
      assert.deepEqual(scores.map((s) => s.attribute).sort(), [...scorable].sort(), code.name);
      for (const score of scores) {
        assert.ok(score.auc >= 0.5 && score.auc <= 1, `${code.name} ${score.attribute}`);
        assert.ok(score.sign === 1 || score.sign === -1);
        if (code.kind === 'categorical') assert.ok(score.value! >= 0 && score.value! < 4);
        else assert.equal(score.value, undefined);
      }
      for (let i = 1; i < scores.length; i++) assert.ok(scores[i - 1].auc >= scores[i].auc);
    }
  });

  it('prints each code\'s best attribute', () => {
    const names = '[A-Za-z0-9_]+';
    assert.ok(log.lines.some((l) => new RegExp(`^categorical 0, value [0-3] -> (not )?${names} +` +
      `\\(AUC (0\\.[5-9]\\d|1\\.00)\\)`).test(l)), log.lines.join('\n'));
    for (const j of [0, 1]) {
      assert.ok(log.lines.some((l) => new RegExp(`^continuous ${j}, (high|low) -> ${names} +` +
        `\\(AUC`).test(l)), log.lines.join('\n'));
    }
  });
});
