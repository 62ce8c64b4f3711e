import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { DEFAULT_DISCRIMINATOR_SPEC, DEFAULT_GENERATOR_SPEC, formatSpec } from '../model/spec';
import { assertUsageError } from './testing';
import {
  configDifferences,
  DEFAULT_TRAIN_CONFIG,
  defaultRunFolder,
  parseTrainArgs,
  parseTrainCommandLine,
  resumeTrainConfig,
  TRAIN_FLAGS,
  TrainConfig,
  trainHelp,
} from './train';

const GENERATOR_64 =
  'fc:1024,fc:8x8x256,reshape:8:8:256,deconv:4:1:256,deconv:4:2:256,deconv:4:2:128,' +
  'deconv:4:2:64,deconv:4:1:1:sigmoid';
const DISCRIMINATOR_64 =
  'conv:4:2:64:relu,conv:4:2:128:relu,conv:4:2:256:relu,conv:4:1:256:relu,conv:4:1:256:relu,' +
  'fc:1024:relu';

/** Splits a command line at whitespace, like a shell without quotes. */
function words(commandLine: string): string[] {
  return commandLine.split(/\s+/).filter((word) => word !== '');
}

function train(argv: string[]): TrainConfig {
  const config = parseTrainArgs(argv);
  assert.notEqual(config, 'help');
  return config as TrainConfig;
}

function parsed(argv: string[]) {
  const result = parseTrainCommandLine(argv);
  assert.notEqual(result, 'help');
  return result as Exclude<typeof result, 'help'>;
}

describe('parseTrainArgs defaults', () => {
  it("match the old script's", () => {
    const config = train([]);
    assert.equal(config.batchSize, 64);
    assert.equal(config.epochs, 100);
    assert.equal(config.generatorLr, 1e-3);
    assert.equal(config.discriminatorLr, 2e-4);
    assert.equal(config.categoricalLambda, 1);
    assert.equal(config.continuousLambda, 1);
    assert.deepEqual(config.categoricalCardinality, [10]);
    assert.equal(config.numContinuous, 2);
    assert.equal(config.styleSize, 62);
    assert.equal(config.seed, 1234);
    assert.equal(config.plotEvery, 200);
    assert.equal(config.infogan, true);
    assert.equal(config.useBatchNorm, true);
    assert.equal(config.fixStd, true);
    assert.equal(config.forceGrayscale, false);
    assert.equal(
      formatSpec(config.generator),
      'fc:1024,fc:6272,reshape:7:7:128,deconv:4:2:64,deconv:4:2:1:sigmoid',
    );
    assert.equal(formatSpec(config.discriminator), DEFAULT_DISCRIMINATOR_SPEC);
    assert.equal(config.dataset, undefined);
    assert.equal(config.maxImages, undefined);
    assert.equal(config.scale, undefined);
  });

  it('fill in the added flags', () => {
    const config = train([]);
    assert.equal(config.checkpointEvery, 1000);
    assert.equal(config.keepCheckpoints, 3);
    assert.equal(config.threads, os.availableParallelism());
    assert.equal(config.logEvery, 1);
    assert.equal(config.precision, 'float32');
    assert.equal(config.quiet, false);
    assert.equal(config.debug, false);
    assert.equal(config.squash, false);
    assert.equal(config.resume, undefined);
    assert.match(config.out, /^runs[/\\]\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d$/);
    assert.equal(config.logdir, path.join(config.out, 'tensorboard'));
    assert.deepEqual(
      { ...config, out: undefined, logdir: undefined },
      {
        ...DEFAULT_TRAIN_CONFIG,
        out: undefined,
        logdir: undefined,
      },
    );
  });

  it('are frozen, and each parse gets its own copy', () => {
    assert.ok(Object.isFrozen(DEFAULT_TRAIN_CONFIG));
    assert.ok(Object.isFrozen(DEFAULT_TRAIN_CONFIG.categoricalCardinality));
    assert.ok(Object.isFrozen(DEFAULT_TRAIN_CONFIG.generator[0]));
    const config = train([]);
    config.categoricalCardinality.push(3);
    assert.deepEqual(train([]).categoricalCardinality, [10]);
  });

  it('name the run folder after the time', () => {
    const folder = defaultRunFolder(new Date(2017, 0, 2, 3, 4, 5));
    assert.equal(folder, path.join('runs', '2017-01-02_03-04-05'));
    const result = parseTrainCommandLine([], new Date(2017, 0, 2, 3, 4, 5));
    assert.notEqual(result, 'help');
    if (result !== 'help') assert.equal(result.config.out, folder);
  });

  it('store data and label paths absolute, so a run works from any folder', () => {
    const result = parseTrainCommandLine(['--dataset', 'faces', '--labels', 'attrs.txt']);
    assert.notEqual(result, 'help');
    if (result === 'help') return;
    assert.equal(result.config.dataset, path.resolve('faces'));
    assert.equal(result.config.labels, path.resolve('attrs.txt'));
  });
});

describe('parseTrainArgs flags', () => {
  it("reads the presentation's CelebA command line", () => {
    const config = train(
      words(
        `--dataset celebA/img_align_celeba/ --scale_dataset 64 64 ` +
          `--categorical_cardinality 20 20 20 --num_continuous 1 --style_size 128 ` +
          `--continuous_lambda 10 --discriminator ${DISCRIMINATOR_64} --generator ` +
          `${GENERATOR_64} --plot_every 400 --force_grayscale`,
      ),
    );
    assert.equal(config.dataset, path.resolve('celebA/img_align_celeba/'));
    assert.deepEqual(config.scale, { width: 64, height: 64 });
    assert.deepEqual(config.categoricalCardinality, [20, 20, 20]);
    assert.equal(config.numContinuous, 1);
    assert.equal(config.styleSize, 128);
    assert.equal(config.continuousLambda, 10);
    assert.equal(config.plotEvery, 400);
    assert.equal(config.forceGrayscale, true);
    assert.equal(config.generator.length, 8);
    assert.equal(config.discriminator.length, 6);
    assert.equal(formatSpec(config.generator), GENERATOR_64.replace('8x8x256', '16384'));
  });

  it('reads every other flag', () => {
    const config = train(
      words(
        `--max_images=1000 --squash --labels attrs.txt --cache_dir /tmp/c ` +
          `--nouse_batch_norm --nofix_std --epochs 3 --batch_size 16 --generator_lr 5e-4 ` +
          `--discriminator_lr 0.0001 --categorical_lambda 0.5 --seed 7 --precision bfloat16 ` +
          `--out o --resume r --checkpoint_every 50 --keep_checkpoints 1 --log_every 10 ` +
          `--logdir tb --threads 1 --quiet`,
      ),
    );
    assert.equal(config.maxImages, 1000);
    assert.equal(config.squash, true);
    assert.equal(config.labels, path.resolve('attrs.txt'));
    assert.equal(config.cacheDir, '/tmp/c');
    assert.equal(config.useBatchNorm, false);
    assert.equal(config.fixStd, false);
    assert.equal(config.epochs, 3);
    assert.equal(config.batchSize, 16);
    assert.equal(config.generatorLr, 5e-4);
    assert.equal(config.discriminatorLr, 1e-4);
    assert.equal(config.categoricalLambda, 0.5);
    assert.equal(config.seed, 7);
    assert.equal(config.precision, 'bfloat16');
    assert.equal(config.out, 'o');
    assert.equal(config.resume, 'r');
    assert.equal(config.checkpointEvery, 50);
    assert.equal(config.keepCheckpoints, 1);
    assert.equal(config.logEvery, 10);
    assert.equal(config.logdir, 'tb');
    assert.equal(config.threads, 1);
    assert.equal(config.quiet, true);
    assert.equal(train(['--debug']).debug, true);
    const semi = train(words('--labeled 100 --labeled_lambda 0.5 --style_std 0.3'));
    assert.equal(semi.styleStd, 0.3);
    assert.equal(semi.labeled, 100);
    assert.equal(semi.labeledLambda, 0.5);
    const small = train(words('--augment translation,cutout --real_info_lambda 0.5'));
    assert.deepEqual(small.augment, ['translation', 'cutout']);
    assert.equal(small.realInfoLambda, 0.5);
    assert.deepEqual(train(['--augment', 'none']).augment, []);
  });

  it('accepts kebab-case and --flag=value', () => {
    const config = train(
      words(`--batch-size=32 --plot-every 10 --use-batch-norm --scale-dataset=32,48`),
    );
    assert.equal(config.batchSize, 32);
    assert.equal(config.plotEvery, 10);
    assert.deepEqual(config.scale, { width: 32, height: 48 });
  });

  it('turns switches off with --noX and --no-X', () => {
    assert.equal(train(['--noinfogan']).infogan, false);
    assert.equal(train(['--no-infogan']).infogan, false);
    assert.equal(train(['--no-use-batch-norm']).useBatchNorm, false);
    assert.equal(train(['--nofix-std']).fixStd, false);
    assert.equal(train(['--infogan']).infogan, true);
  });

  it('reads an empty --categorical_cardinality as no categorical code', () => {
    assert.deepEqual(train(['--categorical_cardinality']).categoricalCardinality, []);
    const config = train(['--categorical_cardinality', '--num_continuous', '3']);
    assert.deepEqual(config.categoricalCardinality, []);
    assert.equal(config.numContinuous, 3);
    assert.deepEqual(train(['--categorical_cardinality', '4']).categoricalCardinality, [4]);
  });

  it('puts a resumed run in its own folder unless --out is given', () => {
    const config = train(['--resume', 'runs/a']);
    assert.equal(config.out, 'runs/a');
    assert.equal(config.logdir, path.join('runs/a', 'tensorboard'));
    assert.equal(train(['--resume', 'runs/a', '--out', 'b']).out, 'b');
  });

  it('returns help for --help', () => {
    assert.equal(parseTrainArgs(['--help']), 'help');
    assert.equal(parseTrainArgs(['--batch_size', 'x', '-h']), 'help');
  });
});

describe('parseTrainArgs errors', () => {
  const cases: [string[], RegExp | string][] = [
    [['--help=1'], '--help takes no value; give --help alone'],
    [['--bach_size', '3'], 'unknown flag --bach_size; did you mean --batch_size?'],
    [['--bach-size=3'], 'unknown flag --bach-size; did you mean --batch_size?'],
    [['--generater', 'fc:1'], 'unknown flag --generater; did you mean --generator?'],
    [['--no-infogen'], 'unknown flag --no-infogen; did you mean --noinfogan?'],
    [['--learning_rate', '1'], 'unknown flag --learning_rate (see infogan train --help)'],
    [['-batch_size', '3'], 'unknown flag -batch_size; did you mean --batch_size?'],
    [['--batch_size'], '--batch_size needs a value (N)'],
    [['--dataset', '--epochs', '3'], '--dataset needs a value (DIR)'],
    [['--batch_size', 'abc'], '--batch_size expects an integer, got "abc"'],
    [['--batch_size', '2.5'], '--batch_size expects an integer, got "2.5"'],
    [['--batch_size', '1'], '--batch_size must be >= 2, got 1'],
    [['--epochs', '0'], '--epochs must be >= 1, got 0'],
    [['--generator_lr', '0'], '--generator_lr must be > 0, got 0'],
    [['--discriminator_lr', '-1e-3'], '--discriminator_lr must be > 0, got -1e-3'],
    [['--categorical_lambda', '-1'], '--categorical_lambda must be >= 0, got -1'],
    [['--continuous_lambda', 'ten'], '--continuous_lambda expects a number, got "ten"'],
    [['--categorical_cardinality', '10', '1'], '--categorical_cardinality must be >= 2, got 1'],
    [['--num_continuous', '-1'], '--num_continuous must be >= 0, got -1'],
    [['--style_size', '-1'], '--style_size must be >= 0, got -1'],
    [['--threads', '0'], `--threads must be between 1 and ${os.availableParallelism()}, got 0`],
    [['--threads', '1000000'],
      `--threads must be between 1 and ${os.availableParallelism()}, got 1000000`],
    [['--max_images', '0'], '--max_images must be >= 1, got 0'],
    [['--plot_every', '0'], '--plot_every must be >= 1, got 0'],
    [['--checkpoint_every', '0'], '--checkpoint_every must be >= 1, got 0'],
    [['--keep_checkpoints', '0'], '--keep_checkpoints must be >= 1, got 0'],
    [['--log_every', '0'], '--log_every must be >= 1, got 0'],
    [['--seed', '4294967296'], '--seed must be between 0 and 4294967295, got 4294967296'],
    [
      ['--precision', 'float16'],
      '--precision expects float32 or bfloat16, got "float16"; did you mean bfloat16?',
    ],
    [['--scale_dataset', '64'], '--scale_dataset needs 2 values (W H), got 1'],
    [['--scale_dataset', '64', '--epochs', '1'], '--scale_dataset needs 2 values (W H), got 1'],
    [['--scale_dataset', '64', '0'], '--scale_dataset must be >= 1, got 0'],
    [['--scale_dataset', '64', '64', '64'], /^unexpected argument "64"/],
    [['train.py'], /^unexpected argument "train.py"/],
    [['--epochs', '3', '--epochs=4'], '--epochs given twice; give each flag once'],
    [['--infogan', '--noinfogan'], '--infogan given twice; give each flag once'],
    [['--out='], '--out needs a value (DIR)'],
    [['--infogan=maybe'], '--infogan is a switch, got "maybe"; use --infogan or --noinfogan'],
    [['--no-batch-size'], '--no-batch-size: --batch_size is not a switch; give it N'],
    [
      ['--generator', 'fc:1024,reshape:7:7:128,deconv:4:2:1'],
      /^--generator layer 2 "reshape:7:7:128" : reshape to/,
    ],
    [
      ['--generator', 'fc:6272,reshape:7:7:128,deconv:4:2'],
      /^--generator layer 3 "deconv:4:2" : expected deconv:/,
    ],
    [['--discriminator', 'conv:4:2:64:lerelu'], /^--discriminator layer 1 .*did you mean lrelu\?/],
    [['--categorical_cardinality', '--num_continuous', '0'], /^--infogan needs at least one code/],
    [['--noinfogan', '--style_size', '0'], /^--noinfogan needs --style_size >= 1/],
    [['--max_images', '10'], '--max_images 10 is fewer than --batch_size 64'],
    [['--quiet', '--debug'], '--quiet and --debug contradict; give one'],
    [['--labeled', '0'], '--labeled must be >= 1, got 0'],
    [['--real_info_lambda', '-1'], '--real_info_lambda must be >= 0, got -1'],
    [['--augment', 'translate'], /^--augment expects .* \(or none\), got 'translate'$/],
    [['--labeled_lambda', '2'], '--labeled_lambda weighs the --labeled images; give --labeled N too'],
    [['--labeled_lambda', '-1'], '--labeled_lambda must be >= 0, got -1'],
    [['--labeled', '100', '--categorical_cardinality'], /^--labeled 100 ties the first categorical code/],
    [['--labeled', '100', '--noinfogan'], /^--labeled 100 ties the first categorical code/],
    [
      ['--categorical_cardinality', '10', '100000'],
      /^--categorical_cardinality 100000: at most 10000 values a code .*e\.g\. 10 10 10$/,
    ],
    [
      ['--categorical_cardinality', '10000', '10000', '10'],
      /^--categorical_cardinality: 20010 values in all, at most 20000 \(each is an input/,
    ],
  ];

  for (const [argv, expected] of cases) {
    it(`refuses ${argv.join(' ')}`, () => assertUsageError(() => parseTrainArgs(argv), expected));
  }

  it('allows a categorical code of up to 10000 values', () => {
    const config = train(['--categorical_cardinality', '1000', '10000']);
    assert.deepEqual(config.categoricalCardinality, [1000, 10000]);
  });

  it('allows a GAN without codes and an InfoGAN without style noise', () => {
    const gan = train(['--noinfogan', '--categorical_cardinality', '--num_continuous', '0']);
    assert.equal(gan.infogan, false);
    assert.equal(train(['--style_size', '0']).styleSize, 0);
  });
});

describe('trainHelp', () => {
  const help = trainHelp();

  it('lists every flag with its default', () => {
    for (const def of TRAIN_FLAGS) assert.match(help, new RegExp(`^  --${def.name}\\b`, 'm'));
    for (const name of ['noinfogan', 'nouse_batch_norm', 'nofix_std'])
      assert.ok(help.includes(`--${name}`));
    assert.match(help, /--batch_size N +images per step \(default: 64\)/);
    assert.match(help, /--generator_lr X .*\(default: 0\.001\)/);
    assert.match(help, /--categorical_cardinality K\.\.\. .*\n.*\(default: 10\)/);
    assert.ok(help.includes(DEFAULT_GENERATOR_SPEC));
    assert.ok(help.includes(DEFAULT_DISCRIMINATOR_SPEC));
    assert.ok(help.includes('runs/<timestamp>'));
    assert.ok(help.includes('<out>/tensorboard'));
    assert.ok(help.includes(':bn / :nobn'));
  });

  it('groups flags under Data, Model, Training and Run', () => {
    const headings = help.split('\n').filter((line) => /^[A-Z][a-z]+:$/.test(line));
    assert.deepEqual(headings, ['Data:', 'Model:', 'Training:', 'Run:']);
    assert.ok(help.indexOf('--dataset') < help.indexOf('Model:'));
    assert.ok(help.indexOf('--seed') < help.indexOf('Run:'));
  });

  it('stays within 100 columns', () => {
    const wide = help.split('\n').filter((line) => line.length > 100);
    assert.deepEqual(wide, []);
  });
});

describe('configDifferences and resumeTrainConfig', () => {
  const saved = train(['--out', 'runs/a', '--batch_size', '32', '--epochs', '10']);

  it('lists changed fields with their flags and whether resuming may change them', () => {
    const current = { ...train(words(`--out runs/a --batch_size 16 --epochs 20`)),
      threads: saved.threads + 1 };
    const differences = configDifferences(saved, current);
    const byKey = Object.fromEntries(differences.map((d) => [d.key, d]));
    assert.deepEqual(byKey.batchSize, {
      key: 'batchSize',
      flag: '--batch_size',
      saved: 32,
      current: 16,
      safe: false,
    });
    assert.deepEqual(byKey.epochs, {
      key: 'epochs',
      flag: '--epochs',
      saved: 10,
      current: 20,
      safe: true,
    });
    assert.equal(byKey.threads.safe, true);
    assert.deepEqual(Object.keys(byKey), ['epochs', 'batchSize', 'threads']);
    assert.deepEqual(configDifferences(saved, structuredClone(saved)), []);
  });

  it('compares layer specs and nested values by content', () => {
    const wider = train(
      words(`--out runs/a --batch_size 32 --epochs 10 --discriminator conv:4:2:64:lrelu`),
    );
    const [difference] = configDifferences(saved, wider);
    assert.equal(difference.flag, '--discriminator');
    assert.equal(difference.safe, false);
    const scaled = { ...saved, scale: { width: 8, height: 8 } };
    assert.deepEqual(
      configDifferences(saved, scaled).map((d) => d.key),
      ['scale'],
    );
  });

  it("marks exactly the brief's fields safe, and --augment", () => {
    const changed: TrainConfig = {
      ...saved,
      epochs: 11,
      plotEvery: 1,
      checkpointEvery: 1,
      keepCheckpoints: 9,
      logEvery: 9,
      generatorLr: 1,
      discriminatorLr: 1,
      threads: saved.threads + 1,
      quiet: true,
      debug: true,
      logdir: 'x',
      out: 'x',
      resume: 'x',
      cacheDir: 'x',
      augment: ['flip'],
    };
    const differences = configDifferences(saved, changed);
    assert.equal(differences.length, 15);
    assert.ok(differences.every((d) => d.safe));
  });

  it('keeps saved values the command line did not set, and takes the safe ones it did', () => {
    const resumed = resumeTrainConfig(saved, parsed(['--resume', 'runs/moved', '--epochs', '20']));
    assert.equal(resumed.batchSize, 32);
    assert.equal(resumed.epochs, 20);
    assert.equal(resumed.resume, 'runs/moved');
    assert.equal(resumed.out, 'runs/moved');
    assert.equal(resumed.logdir, path.join('runs/moved', 'tensorboard'));
    assert.equal(resumed.threads, os.availableParallelism());
  });

  it('prints as this command asks, whatever the run was started with', () => {
    const quietRun = { ...saved, quiet: true };
    assert.equal(resumeTrainConfig(quietRun, parsed(['--resume', 'runs/moved'])).quiet, false);
    assert.equal(resumeTrainConfig(saved, parsed(['--resume', 'runs/moved', '--quiet'])).quiet, true);
  });

  it('refuses a given flag that would change the model or data', () => {
    assertUsageError(
      () =>
        resumeTrainConfig(
          saved,
          parsed(['--resume', 'runs/a', '--batch_size', '64', '--seed', '1']),
        ),
      'cannot change on --resume: --batch_size (saved 32, given 64),' +
        ' --seed (saved 1234, given 1); start a new run without --resume',
    );
  });
});
