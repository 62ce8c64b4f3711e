import assert from 'node:assert/strict';
import * as os from 'node:os';
import { describe, it } from 'node:test';

import {
  DEFAULT_SAMPLE_CONFIG,
  formatCodeRef,
  gridRows,
  parseCodeRef,
  parseSampleArgs,
  SAMPLE_FLAGS,
  SampleConfig,
  sampleHelp,
  TRAVERSAL_ROWS,
  traversalOutputPath,
} from './sample';
import { assertUsageError } from './testing';

const REQUIRED = ['--run', 'runs/a', '--out', 'a.png'];

function sample(argv: string[]): SampleConfig {
  const config = parseSampleArgs([...REQUIRED, ...argv]);
  assert.notEqual(config, 'help');
  return config as SampleConfig;
}

describe('parseSampleArgs', () => {
  it('defaults to a traversal of every code', () => {
    assert.deepEqual(sample([]), {
      run: 'runs/a',
      out: 'a.png',
      mode: 'traversal',
      range: [-2, 2],
      steps: 10,
      count: 64,
      seed: 1234,
      threads: os.availableParallelism(),
    });
    assert.deepEqual(sample([]), { ...DEFAULT_SAMPLE_CONFIG, run: 'runs/a', out: 'a.png' });
  });

  it('reads a traversal of one code', () => {
    const config = sample([
      '--checkpoint',
      '4000',
      '--code',
      'continuous:1',
      '--range',
      '-3',
      '3.5',
      '--steps=7',
      '--rows',
      '4',
      '--seed',
      '9',
    ]);
    assert.equal(config.checkpoint, 4000);
    assert.deepEqual(config.code, { kind: 'continuous', index: 1 });
    assert.deepEqual(config.range, [-3, 3.5]);
    assert.equal(config.steps, 7);
    assert.equal(config.rows, 4);
    assert.equal(config.seed, 9);
    assert.deepEqual(sample(['--code=categorical:0']).code, { kind: 'categorical', index: 0 });
  });

  it('reads random mode', () => {
    const config = sample(['--mode', 'random', '--count', '100']);
    assert.equal(config.mode, 'random');
    assert.equal(config.count, 100);
    assert.equal(gridRows(config), 10);
    assert.equal(gridRows(sample(['--mode', 'random', '--count', '65'])), 9);
    assert.equal(gridRows(sample([])), TRAVERSAL_ROWS);
    assert.equal(gridRows(sample(['--rows', '3'])), 3);
  });

  it('returns help for --help', () => {
    assert.equal(parseSampleArgs(['--help']), 'help');
    assert.equal(parseSampleArgs(['-h']), 'help');
  });

  const cases: [string[], RegExp | string][] = [
    [['--out', 'a.png'], 'infogan sample needs --run DIR, the run to sample from'],
    [['--run', 'r'], 'infogan sample needs --out FILE.png, the image to write'],
    [[...REQUIRED.slice(0, 2), '--out', 'a.jpg'], '--out must name a .png file, got "a.jpg"'],
    [[...REQUIRED, '--mode', 'grid'], '--mode expects traversal or random, got "grid"'],
    [[...REQUIRED, '--mode', 'randm'], /got "randm"; did you mean random\?$/],
    [
      [...REQUIRED, '--code', 'continuous'],
      /^--code expects categorical:INDEX or continuous:INDEX/,
    ],
    [[...REQUIRED, '--code', 'continous:1'], /got "continous:1"; did you mean continuous\?$/],
    [[...REQUIRED, '--code', 'categorical:-1'], /^--code expects categorical:INDEX/],
    [[...REQUIRED, '--range', '2'], '--range needs 2 values (LOW HIGH), got 1'],
    [[...REQUIRED, '--range', '2', '-2'], '--range needs LOW < HIGH, got 2 -2'],
    [[...REQUIRED, '--range', 'a', '2'], '--range expects a number, got "a"'],
    [[...REQUIRED, '--steps', '1'], '--steps must be between 2 and 256, got 1'],
    [[...REQUIRED, '--rows', '0'], '--rows must be between 1 and 256, got 0'],
    [[...REQUIRED, '--count', '0', '--mode', 'random'], '--count must be between 1 and 65536, got 0'],
    [[...REQUIRED, '--checkpoint', '-1'], '--checkpoint must be >= 0, got -1'],
    [[...REQUIRED, '--seed', 'x'], '--seed expects an integer, got "x"'],
    [[...REQUIRED, '--threads', '1000000'],
      `--threads must be between 1 and ${os.availableParallelism()}, got 1000000`],
    [[...REQUIRED, '--rows', '100000'], '--rows must be between 1 and 256, got 100000'],
    [[...REQUIRED, '--mode', 'random', '--count', '10000000'],
      '--count must be between 1 and 65536, got 10000000'],
    [
      [...REQUIRED, '--count', '10'],
      '--count only applies to --mode random (this is --mode traversal)',
    ],
    [
      [...REQUIRED, '--mode', 'random', '--code', 'categorical:0'],
      /^--code only applies to --mode traversal/,
    ],
    [
      [...REQUIRED, '--mode', 'random', '--steps', '5'],
      /^--steps only applies to --mode traversal/,
    ],
    [
      [...REQUIRED, '--code', 'categorical:0', '--steps', '5'],
      /^--range and --steps are for continuous/,
    ],
    [[...REQUIRED, '--cout', '5'], 'unknown flag --cout; did you mean --count?'],
    [[...REQUIRED, 'extra.png'], /^unexpected argument "extra.png"/],
    [[...REQUIRED, '--run', 'b'], '--run given twice; give each flag once'],
  ];

  for (const [argv, expected] of cases) {
    it(`refuses ${argv.join(' ')}`, () => assertUsageError(() => parseSampleArgs(argv), expected));
  }
});

describe('code references and file names', () => {
  it('reads and writes codes', () => {
    assert.deepEqual(parseCodeRef('cat:2'), { kind: 'categorical', index: 2 });
    assert.deepEqual(parseCodeRef('Cont:0'), { kind: 'continuous', index: 0 });
    assert.equal(formatCodeRef({ kind: 'continuous', index: 3 }), 'continuous:3');
  });

  it('derives one file per code from --out', () => {
    assert.equal(
      traversalOutputPath('out/faces.png', { kind: 'categorical', index: 0 }),
      'out/faces-categorical0.png',
    );
    assert.equal(
      traversalOutputPath('a.b.PNG', { kind: 'continuous', index: 1 }),
      'a.b-continuous1.PNG',
    );
  });
});

describe('sampleHelp', () => {
  it('lists every flag and its default', () => {
    const help = sampleHelp();
    for (const def of SAMPLE_FLAGS) assert.match(help, new RegExp(`^  --${def.name}\\b`, 'm'));
    assert.match(help, /--run DIR .*\(required\)/);
    assert.match(help, /--range LOW HIGH .*\(default: -2 2\)/);
    assert.match(help, /--count N .*\(default: 64\)/);
    assert.deepEqual(
      help.split('\n').filter((line) => line.length > 100),
      [],
    );
  });
});
