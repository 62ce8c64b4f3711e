import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import {
  DEFAULT_EVALUATE_CONFIG, EVALUATE_FLAGS, evaluateHelp, parseEvaluateArgs, type EvaluateConfig,
} from './evaluate';
import { assertUsageError } from './testing';

function evaluate(argv: string[]): EvaluateConfig {
  const config = parseEvaluateArgs(['--run', 'runs/a', ...argv]);
  assert.notEqual(config, 'help');
  return config as EvaluateConfig;
}

describe('parseEvaluateArgs', () => {
  it('defaults to the run\'s own data and <run>/evaluation.json', () => {
    assert.deepEqual(evaluate([]), {
      run: 'runs/a', out: path.join('runs/a', 'evaluation.json'), maxImages: 10000,
      batchSize: 256, threads: os.availableParallelism(), quiet: false,
    });
    assert.deepEqual(evaluate([]), { ...DEFAULT_EVALUATE_CONFIG, run: 'runs/a',
      out: path.join('runs/a', 'evaluation.json') });
  });

  it('reads every flag', () => {
    const config = evaluate(['--dataset', 'faces', '--labels=attrs.txt', '--checkpoint', '400',
      '--max-images', '64', '--batch_size', '16', '--out', 'x/scores.json', '--report',
      'x/r.html', '--threads', '1', '--quiet']);
    assert.deepEqual(config, { run: 'runs/a', dataset: 'faces', labels: 'attrs.txt',
      checkpoint: 400, maxImages: 64, batchSize: 16, out: 'x/scores.json', report: 'x/r.html',
      threads: 1, quiet: true });
  });

  it('keeps scores on other images apart from the run\'s own', () => {
    assert.equal(evaluate(['--dataset', '/data/lfw people/']).out,
      path.join('runs/a', 'evaluation-lfw_people.json'));
  });

  it('returns help for --help', () => {
    assert.equal(parseEvaluateArgs(['--help']), 'help');
    assert.equal(parseEvaluateArgs(['--run', 'r', '-h']), 'help');
  });

  const cases: [string[], RegExp | string][] = [
    [[], 'infogan evaluate needs --run DIR, the run to evaluate'],
    [['--run', 'r', '--out', 'scores.txt'], '--out must name a .json file, got "scores.txt"'],
    [['--run', 'r', '--report', 'r.png'], '--report must name a .html file, got "r.png"'],
    [['--run', 'r', '--max_images', '0'], '--max_images must be >= 1, got 0'],
    [['--run', 'r', '--batch_size', 'many'], '--batch_size expects an integer, got "many"'],
    [['--run', 'r', '--checkpoint', '-3'], '--checkpoint must be >= 0, got -3'],
    [['--run', 'r', '--datset', 'x'], 'unknown flag --datset; did you mean --dataset?'],
    [['--run', 'r', 'extra'], /^unexpected argument "extra"/],
    [['--run', 'r', '--threads', '0'], `--threads must be between 1 and ${os.availableParallelism()}, got 0`],
    [['--run', 'r', '--threads', '1000000'],
      `--threads must be between 1 and ${os.availableParallelism()}, got 1000000`],
  ];
  for (const [argv, expected] of cases) {
    it(`refuses ${argv.join(' ') || 'no flags'}`, () => {
      assertUsageError(() => parseEvaluateArgs(argv), expected);
    });
  }
});

describe('evaluateHelp', () => {
  it('lists every flag with its default, within 100 columns', () => {
    const help = evaluateHelp();
    for (const def of EVALUATE_FLAGS) assert.match(help, new RegExp(`^  --${def.name}\\b`, 'm'));
    assert.match(help, /--run DIR .*\(required\)/);
    assert.match(help, /--max_images N .*\(default: 10000\)/);
    assert.match(help, /--out FILE\.json .*\(default: <run>\/evaluation\.json; with\n\s+--dataset DIR, <run>\/evaluation-<DIR.s name>\.json\)/);
    assert.deepEqual(help.split('\n').filter((line) => line.length > 100), []);
  });
});
