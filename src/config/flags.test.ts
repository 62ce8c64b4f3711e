import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  editDistance,
  FlagDef,
  formatHelp,
  nearestName,
  parseCommandLine,
  parseNumber,
} from './flags';
import { assertUsageError } from './testing';

interface Toy {
  size: number;
  sizes: number[];
  pair: number[];
  name?: string;
  fast: boolean;
  color: string;
}

const TOY_DEFAULTS: Toy = { size: 3, sizes: [1], pair: [0, 0], fast: true, color: 'red' };

const TOY_FLAGS: FlagDef<Toy>[] = [
  { name: 'size', key: 'size', kind: 'int', min: 1, group: 'A', help: 'a size' },
  { name: 'sizes', key: 'sizes', kind: 'int', arity: 'any', min: 2, group: 'A', help: 'sizes' },
  { name: 'pair', key: 'pair', kind: 'float', arity: 2, metavar: 'LO HI', group: 'A', help: 'p' },
  { name: 'the_name', key: 'name', kind: 'string', group: 'B', help: 'a name' },
  { name: 'fast', key: 'fast', kind: 'boolean', group: 'B', help: 'go fast' },
  { name: 'color', key: 'color', kind: 'choice', choices: ['red', 'blue'], group: 'B', help: 'c' },
];

function parse(argv: string[]) {
  const parsed = parseCommandLine(argv, TOY_FLAGS, TOY_DEFAULTS, 'toy');
  assert.notEqual(parsed, 'help');
  return parsed as Exclude<typeof parsed, 'help'>;
}

describe('editDistance and nearestName', () => {
  it('counts insertions, deletions and substitutions', () => {
    assert.equal(editDistance('', ''), 0);
    assert.equal(editDistance('bach_size', 'batch_size'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('abc', ''), 3);
  });

  it('suggests only close names, preferring a shared start on ties', () => {
    const names = ['batch_size', 'epochs', 'conv', 'deconv', 'style_size'];
    assert.equal(nearestName('bach_size', names), 'batch_size');
    assert.equal(nearestName('epoch', names), 'epochs');
    assert.equal(nearestName('dconv', names), 'deconv');
    assert.equal(nearestName('learning_rate', names), undefined);
    assert.equal(nearestName('style', names), 'style_size');
    assert.equal(nearestName('x', names), undefined);
  });
});

describe('parseNumber', () => {
  it('reads plain numbers only', () => {
    assert.equal(parseNumber('42', '--n', { integer: true }), 42);
    assert.equal(parseNumber('-3', '--n', { integer: true }), -3);
    assert.equal(parseNumber('2e-4', '--lr', { integer: false }), 2e-4);
    assert.equal(parseNumber('.5', '--lr', { integer: false }), 0.5);
    for (const text of ['', '1.5', '1e3', '0x10', '12abc', 'NaN']) {
      assertUsageError(
        () => parseNumber(text, '--n', { integer: true }),
        /^--n expects an integer/,
      );
    }
    for (const text of ['Infinity', 'abc', '1e', '--']) {
      assertUsageError(() => parseNumber(text, '--x', { integer: false }), /^--x expects a number/);
    }
  });

  it('states the range it enforces', () => {
    assertUsageError(
      () => parseNumber('0', '--n', { integer: true, min: 1 }),
      '--n must be >= 1, got 0',
    );
    assertUsageError(
      () => parseNumber('0', '--lr', { integer: false, min: 0, minExclusive: true }),
      '--lr must be > 0, got 0',
    );
    assertUsageError(
      () => parseNumber('11', '--n', { integer: true, min: 0, max: 10 }),
      '--n must be between 0 and 10, got 11',
    );
    assertUsageError(() => parseNumber('1e999', '--x', { integer: false }), /--x must be finite/);
    assertUsageError(
      () => parseNumber('99999999999999999999', '--n', { integer: true }),
      /--n must be a safe integer/,
    );
  });
});

describe('parseCommandLine', () => {
  it('starts from a copy of the defaults and records what was given', () => {
    const { config, given } = parse(['--size', '5']);
    assert.deepEqual(config, { ...TOY_DEFAULTS, size: 5 });
    assert.deepEqual([...given], ['size']);
    config.sizes.push(9);
    assert.deepEqual(TOY_DEFAULTS.sizes, [1]);
  });

  it('accepts --flag value, --flag=value and kebab-case', () => {
    assert.equal(parse(['--the-name', 'x']).config.name, 'x');
    assert.equal(parse(['--the_name=a=b']).config.name, 'a=b');
    assert.deepEqual(parse(['--pair=-1,2.5']).config.pair, [-1, 2.5]);
    assert.deepEqual(parse(['--pair', '-1', '2.5']).config.pair, [-1, 2.5]);
  });

  it('reads zero or more values for arity any, stopping at the next flag', () => {
    assert.deepEqual(parse(['--sizes', '2', '3', '--size', '4']).config.sizes, [2, 3]);
    assert.deepEqual(parse(['--sizes']).config.sizes, []);
    assert.deepEqual(parse(['--sizes', '--fast']).config.sizes, []);
    assert.deepEqual(parse(['--sizes=']).config.sizes, []);
    assert.deepEqual(parse(['--sizes=4,5']).config.sizes, [4, 5]);
  });

  it('reads switches in every spelling', () => {
    assert.equal(parse(['--nofast']).config.fast, false);
    assert.equal(parse(['--no-fast']).config.fast, false);
    assert.equal(parse(['--no_fast']).config.fast, false);
    assert.equal(parse(['--fast']).config.fast, true);
    assert.equal(parse(['--fast=false']).config.fast, false);
    assertUsageError(() => parse(['--nofast=1']), '--nofast takes no value');
    assertUsageError(
      () => parse(['--fast=maybe']),
      '--fast is a switch, got "maybe"; use --fast or --nofast',
    );
  });

  it('returns help for --help or -h anywhere', () => {
    assert.equal(
      parseCommandLine(['--size', '0', '--help'], TOY_FLAGS, TOY_DEFAULTS, 'toy'),
      'help',
    );
    assert.equal(parseCommandLine(['-h'], TOY_FLAGS, TOY_DEFAULTS, 'toy'), 'help');
  });

  it('refuses unknown, repeated, incomplete and stray arguments', () => {
    assertUsageError(() => parse(['--sise', '3']), 'unknown flag --sise; did you mean --size?');
    assertUsageError(() => parse(['--no-size']), '--no-size: --size is not a switch; give it N');
    assertUsageError(() => parse(['--zzzzzz']), 'unknown flag --zzzzzz (see infogan toy --help)');
    assertUsageError(() => parse(['-size', '3']), 'unknown flag -size; did you mean --size?');
    assertUsageError(
      () => parse(['--size', '3', '--size=4']),
      '--size given twice; give each flag once',
    );
    assertUsageError(
      () => parse(['--fast', '--nofast']),
      '--fast given twice; give each flag once',
    );
    assertUsageError(() => parse(['--size']), '--size needs a value (N)');
    assertUsageError(() => parse(['--size', '--fast']), '--size needs a value (N)');
    assertUsageError(() => parse(['--pair', '1']), '--pair needs 2 values (LO HI), got 1');
    assertUsageError(() => parse(['--pair=1,2,3']), '--pair needs 2 values (LO HI), got 3');
    assertUsageError(() => parse(['--pair', '1', '2', '3']), /^unexpected argument "3"/);
    assertUsageError(() => parse(['junk']), /^unexpected argument "junk": values go right after/);
    assertUsageError(() => parse(['--']), /^unexpected argument "--"/);
    assertUsageError(() => parse(['--the_name=']), '--the_name needs a value (VALUE)');
    assertUsageError(
      () => parse(['--color', 'bleu']),
      '--color expects red or blue, got "bleu"; did you mean blue?',
    );
    assertUsageError(() => parse(['--sizes', '2', '1']), '--sizes must be >= 2, got 1');
  });
});

describe('formatHelp', () => {
  it('lists every flag with its default under its group, within 100 columns', () => {
    const layout = { usage: 'infogan toy', summary: ['Toy.'], groups: ['A', 'B'], notes: ['End.'] };
    const help = formatHelp(layout, TOY_FLAGS, TOY_DEFAULTS);
    assert.match(help, /^Usage: infogan toy\n\nToy\.\n\nA:\n {2}--size N +a size \(default: 3\)\n/);
    assert.match(help, /--pair LO HI +p \(default: 0 0\)/);
    assert.match(help, /--the_name VALUE +a name \(default: none\)/);
    assert.match(help, /--fast, --nofast +go fast \(default: on\)/);
    assert.match(help, /--color red\|blue +c \(default: red\)/);
    assert.ok(help.endsWith('End.\n'));
    assert.ok(help.split('\n').every((line) => line.length <= 100));
  });
});
