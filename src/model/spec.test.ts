import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { UserError } from '../util/log';
import {
  DEFAULT_DISCRIMINATOR_SPEC,
  DEFAULT_GENERATOR_SPEC,
  evaluateSize,
  formatSpec,
  LayerSpec,
  NetworkName,
  parseSpec,
} from './spec';

const GENERATOR_64 =
  'fc:1024,fc:8x8x256,reshape:8:8:256,deconv:4:1:256,deconv:4:2:256,deconv:4:2:128,' +
  'deconv:4:2:64,deconv:4:1:1:sigmoid';
const DISCRIMINATOR_64 =
  'conv:4:2:64:relu,conv:4:2:128:relu,conv:4:2:256:relu,conv:4:1:256:relu,conv:4:1:256:relu,' +
  'fc:1024:relu';

/** Asserts a one-line usage error (exit code 2) whose message matches `expected`. */
function assertSpecError(text: string, network: NetworkName, expected: RegExp | string): void {
  assert.throws(
    () => parseSpec(text, network),
    (error: unknown) => {
      assert.ok(error instanceof UserError, `not a UserError: ${String(error)}`);
      assert.equal(error.exitCode, 2);
      assert.ok(!error.message.includes('\n'), `more than one line: ${error.message}`);
      if (typeof expected === 'string') assert.equal(error.message, expected);
      else assert.match(error.message, expected);
      return true;
    },
  );
}

describe('parseSpec', () => {
  it('reads the default generator', () => {
    assert.deepEqual(parseSpec(DEFAULT_GENERATOR_SPEC, 'generator'), [
      { kind: 'fc', units: 1024, activation: 'relu' },
      { kind: 'fc', units: 6272, activation: 'relu' },
      { kind: 'reshape', height: 7, width: 7, channels: 128 },
      { kind: 'deconv', kernel: 4, stride: 2, channels: 64, activation: 'relu' },
      { kind: 'deconv', kernel: 4, stride: 2, channels: 1, activation: 'sigmoid' },
    ]);
  });

  it('reads the default discriminator', () => {
    assert.deepEqual(parseSpec(DEFAULT_DISCRIMINATOR_SPEC, 'discriminator'), [
      { kind: 'conv', kernel: 4, stride: 2, channels: 64, activation: 'lrelu' },
      { kind: 'conv', kernel: 4, stride: 2, channels: 128, activation: 'lrelu' },
      { kind: 'fc', units: 1024, activation: 'lrelu' },
    ]);
  });

  it("reads the presentation's 64x64 networks", () => {
    const generator = parseSpec(GENERATOR_64, 'generator');
    assert.equal(generator.length, 8);
    assert.deepEqual(generator[1], { kind: 'fc', units: 16384, activation: 'relu' });
    assert.deepEqual(generator[2], { kind: 'reshape', height: 8, width: 8, channels: 256 });
    assert.deepEqual(generator[7], {
      kind: 'deconv',
      kernel: 4,
      stride: 1,
      channels: 1,
      activation: 'sigmoid',
    });
    const discriminator = parseSpec(DISCRIMINATOR_64, 'discriminator');
    assert.deepEqual(
      discriminator.map((layer) => layer.kind),
      ['conv', 'conv', 'conv', 'conv', 'conv', 'fc'],
    );
    assert.ok(
      discriminator.every((layer) => layer.kind !== 'reshape' && layer.activation === 'relu'),
    );
  });

  it('evaluates sizes with the usual precedence, left to right', () => {
    const units = (expression: string) => {
      const [layer] = parseSpec(`fc:${expression}`, 'discriminator');
      return layer.kind === 'fc' ? layer.units : NaN;
    };
    assert.equal(units('8-2-1'), 5);
    assert.equal(units('2+3*4'), 14);
    assert.equal(units('7x7x128'), 6272);
    assert.equal(units('8*8*256'), 16384);
    assert.equal(units('16/4/2'), 2);
    assert.equal(units('(2+3)*4'), 20);
    assert.equal(units(' 7 X 7 x 2 '), 98);
    assert.equal(units('(64/8)*(64/8)*256'), 16384);
    assert.equal(units('1/3*3'), 1);
  });

  it('tells non-expressions apart in evaluateSize', () => {
    assert.equal(evaluateSize('12a'), undefined);
    assert.equal(evaluateSize('(2+3'), undefined);
    assert.equal(evaluateSize('2+'), undefined);
    assert.equal(evaluateSize(''), undefined);
    assert.equal(evaluateSize('1.5'), undefined);
    assert.equal(evaluateSize('7/2'), 3.5);
    assert.equal(evaluateSize('2-5'), -3);
  });

  it('tolerates whitespace and case, and reads activation aliases', () => {
    const layers = parseSpec(
      ' FC:1024 : Leaky_Relu , fc : 7x7x128 :linear,reshape:7:7:128 ,\tdeconv:4:2:1:TANH ',
      'generator',
    );
    assert.deepEqual(layers, [
      { kind: 'fc', units: 1024, activation: 'lrelu' },
      { kind: 'fc', units: 6272, activation: 'identity' },
      { kind: 'reshape', height: 7, width: 7, channels: 128 },
      { kind: 'deconv', kernel: 4, stride: 2, channels: 1, activation: 'tanh' },
    ]);
  });

  it('reads per-layer batch norm overrides and leaves the rest to the network default', () => {
    const layers = parseSpec('conv:4:2:64:lrelu:nobn,conv:4:2:128:bn,fc:1024', 'discriminator');
    assert.equal((layers[0] as { batchNorm?: boolean }).batchNorm, false);
    assert.deepEqual(layers[1], {
      kind: 'conv',
      kernel: 4,
      stride: 2,
      channels: 128,
      activation: 'relu',
      batchNorm: true,
    });
    assert.ok(!('batchNorm' in layers[2]));
  });
});

describe('parseSpec errors', () => {
  it('names the network, position and text of a layer with too few numbers', () => {
    assertSpecError(
      'fc:1024,reshape:7:7:128,deconv:4:2',
      'generator',
      '--generator layer 3 "deconv:4:2" : ' +
        'expected deconv:KERNEL:STRIDE:CHANNELS[:ACTIVATION][:bn|:nobn]',
    );
    assertSpecError('fc', 'discriminator', /^--discriminator layer 1 "fc" : expected fc:UNITS/);
    assertSpecError(
      'conv:4:2:64,reshape:7:7',
      'discriminator',
      /layer 2 .*reshape:HEIGHT:WIDTH:CHANNELS/,
    );
  });

  it('suggests the nearest layer kind', () => {
    assertSpecError(
      'fc:1024,reshape:7:7:128,dconv:4:2:1',
      'generator',
      '--generator layer 3 "dconv:4:2:1" : unknown layer kind "dconv"; did you mean deconv?' +
        ' (valid: conv, deconv, fc, reshape)',
    );
    assertSpecError(
      'dense:10',
      'discriminator',
      /unknown layer kind "dense" \(valid: conv, deconv, fc, reshape\)/,
    );
  });

  it('lists the valid activations', () => {
    assertSpecError(
      'conv:4:2:64:sigmod',
      'discriminator',
      '--discriminator layer 1 "conv:4:2:64:sigmod" : unknown activation "sigmod";' +
        ' did you mean sigmoid? valid: relu, lrelu (leaky_relu), sigmoid, tanh,' +
        ' identity (linear),' +
        ' or bn/nobn',
    );
    assertSpecError('fc:10:swish', 'discriminator', /unknown activation "swish"; valid: relu/);
  });

  it('refuses numbers that are not positive integers', () => {
    assertSpecError('fc:12a', 'discriminator', /layer 1 "fc:12a" : UNITS "12a" is not a number/);
    assertSpecError('fc:2-2', 'discriminator', /UNITS "2-2" is 0, not a positive integer/);
    assertSpecError('fc:7/2', 'discriminator', /UNITS "7\/2" is 3.5, not a positive integer/);
    assertSpecError('conv:4:0:8', 'discriminator', /STRIDE "0" is 0, not a positive integer/);
    assertSpecError('conv:4:2:1/3', 'discriminator', /CHANNELS "1\/3" is 0.3333, not a positive/);
    assertSpecError('fc:100000x100000', 'discriminator', /is 10000000000, larger than 2147483647/);
    assertSpecError('fc:4/0', 'discriminator', /UNITS "4\/0" is Infinity, not a positive integer/);
    assertSpecError(
      'deconv:4:2:sigmoid',
      'discriminator',
      /CHANNELS "sigmoid" is not a number; expected deconv:/,
    );
  });

  it('refuses empty specs, empty layers and empty fields', () => {
    assertSpecError(
      '  ',
      'generator',
      /^--generator is empty: expected comma-separated layers such as fc:1024/,
    );
    assertSpecError(
      'conv:4:2:64,',
      'discriminator',
      /layer 2 "" : empty layer; remove the stray comma/,
    );
    assertSpecError('conv:4:2:64,,fc:10', 'discriminator', /layer 2 "" : empty layer/);
    assertSpecError('fc:1024:', 'discriminator', /layer 1 "fc:1024:" : expected fc:UNITS/);
  });

  it('refuses options a layer cannot take or takes twice', () => {
    assertSpecError(
      'fc:8,reshape:2:2:2:relu',
      'discriminator',
      /layer 2 .* expected reshape:HEIGHT/,
    );
    assertSpecError('fc:8:relu:tanh', 'discriminator', /two activations/);
    assertSpecError('fc:8:bn:nobn', 'discriminator', /bn or nobn twice/);
  });

  it('checks the order of layers', () => {
    assertSpecError(
      'deconv:4:2:1',
      'generator',
      '--generator layer 1 "deconv:4:2:1" : deconv needs an image but the noise vector comes in;' +
        ' put reshape:H:W:C before it',
    );
    assertSpecError(
      'conv:4:2:8,fc:10,conv:4:2:8',
      'discriminator',
      /layer 3 .*the layer before gives a vector/,
    );
    assertSpecError(
      'fc:1024,reshape:7:7:128',
      'generator',
      /layer 2 "reshape:7:7:128" : reshape to 7x7x128 = 6272 values, but the fc before gives 1024/,
    );
    assertSpecError(
      'fc:1024,fc:10',
      'generator',
      /layer 2 "fc:10" : the generator must end in an image/,
    );
  });

  it('accepts what the order rules allow', () => {
    assert.equal(parseSpec('fc:784:sigmoid,reshape:28:28:1', 'generator').length, 2);
    assert.equal(parseSpec('reshape:7:7:128,deconv:4:2:1', 'generator').length, 2);
    assert.equal(parseSpec('fc:64,reshape:4:4:4,conv:3:1:8', 'discriminator').length, 3);
    assert.equal(parseSpec('conv:4:2:8', 'discriminator').length, 1);
  });
});

describe('formatSpec', () => {
  const specs: [string, NetworkName][] = [
    [DEFAULT_GENERATOR_SPEC, 'generator'],
    [DEFAULT_DISCRIMINATOR_SPEC, 'discriminator'],
    [GENERATOR_64, 'generator'],
    [DISCRIMINATOR_64, 'discriminator'],
    ['conv:4:2:64:lrelu:nobn,conv:3:1:8:bn,fc:10:identity:bn,fc:5:tanh', 'discriminator'],
  ];

  for (const [spec, network] of specs) {
    it(`round-trips ${spec.slice(0, 40)}...`, () => {
      const layers = parseSpec(spec, network);
      assert.deepEqual(parseSpec(formatSpec(layers), network), layers);
    });
  }

  it('writes canonical text: numbers evaluated, relu left out', () => {
    assert.equal(
      formatSpec(parseSpec(DEFAULT_GENERATOR_SPEC, 'generator')),
      'fc:1024,fc:6272,reshape:7:7:128,deconv:4:2:64,deconv:4:2:1:sigmoid',
    );
    const layers: LayerSpec[] = [
      { kind: 'conv', kernel: 3, stride: 1, channels: 8, activation: 'relu', batchNorm: false },
      { kind: 'fc', units: 10, activation: 'identity', batchNorm: true },
    ];
    assert.equal(formatSpec(layers), 'conv:3:1:8:nobn,fc:10:identity:bn');
  });
});
