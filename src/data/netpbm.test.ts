import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decodeNetpbm, isNetpbm } from './netpbm';

const text = (s: string) => Buffer.from(s, 'latin1');

describe('decodeNetpbm', () => {
  it('reads P2 (text, 8-bit) with comments anywhere in the header', () => {
    const image = decodeNetpbm(
      text('P2\n# made by hand\n3 2 # width height\n255\n0 1 2\n253 254 255\n'),
    );
    assert.deepEqual([image.width, image.height, image.channels, image.maxval], [3, 2, 1, 255]);
    assert.deepEqual([...image.pixels], [0, 1, 2, 253, 254, 255]);
  });

  it('scales P2 samples below a small maxval to 0..255', () => {
    const image = decodeNetpbm(text('P2 2 2 15 0 15 5 10'));
    assert.deepEqual([...image.pixels], [0, 255, 85, 170]);
  });

  it('reads P5 (binary, 8-bit) raster bytes as they are', () => {
    const raster = Uint8Array.from([9, 8, 7, 6, 5, 4]);
    const image = decodeNetpbm(Buffer.concat([text('P5\n2 3\n255\n'), raster]));
    assert.deepEqual([image.width, image.height], [2, 3]);
    assert.deepEqual([...image.pixels], [...raster]);
  });

  it('reads P5 16-bit samples big-endian and scales them to 8 bits', () => {
    const raster = Buffer.alloc(6);
    [0, 65535, 32768].forEach((v, i) => raster.writeUInt16BE(v, 2 * i));
    const image = decodeNetpbm(Buffer.concat([text('P5 3 1 65535\n'), raster]));
    assert.deepEqual([...image.pixels], [0, 255, 128]);
    // A 16-bit file whose maxval is 1000: 500 is half way.
    const half = Buffer.alloc(2);
    half.writeUInt16BE(500);
    assert.deepEqual([...decodeNetpbm(Buffer.concat([text('P5 1 1 1000\n'), half])).pixels], [128]);
  });

  it('reads P2 16-bit text samples', () => {
    assert.deepEqual([...decodeNetpbm(text('P2 2 1 65535 65535 0')).pixels], [255, 0]);
  });

  it('reads P3 and P6 colour maps as RGB', () => {
    const p3 = decodeNetpbm(text('P3 2 1 255  255 0 0  0 0 255'));
    assert.equal(p3.channels, 3);
    assert.deepEqual([...p3.pixels], [255, 0, 0, 0, 0, 255]);
    const p6 = decodeNetpbm(Buffer.concat([text('P6 1 1 255\n'), Uint8Array.from([1, 2, 3])]));
    assert.deepEqual([p6.channels, ...p6.pixels], [3, 1, 2, 3]);
  });

  it('keeps a raster byte that looks like whitespace (exactly one separator byte)', () => {
    const image = decodeNetpbm(Buffer.concat([text('P5 2 1 255\n'), Uint8Array.from([10, 32])]));
    assert.deepEqual([...image.pixels], [10, 32]);
  });

  it('says what is wrong with truncated or malformed files', () => {
    assert.throws(
      () => decodeNetpbm(Buffer.concat([text('P5 4 4 255\n'), Buffer.alloc(10)])),
      /truncated.*16 bytes.*10/,
    );
    assert.throws(() => decodeNetpbm(text('P2 2 2 255 1 2 3')), /file ends before its sample 3/);
    assert.throws(() => decodeNetpbm(text('P2 2 x')), /number for its height/);
    assert.throws(() => decodeNetpbm(text('P2 1 1 255 300')), /sample 300 exceeds/);
    assert.throws(() => decodeNetpbm(text('P5 0 4 255\n')), /bad size 0x4/);
    assert.throws(() => decodeNetpbm(text('P4 1 1\n')), /not a PGM\/PPM/);
  });

  it('recognises netpbm by its first bytes only', () => {
    assert.ok(isNetpbm(text('P5\n')) && isNetpbm(text('P6 ')) && isNetpbm(text('P2#c')));
    assert.ok(!isNetpbm(text('P7\n')) && !isNetpbm(text('P5x')) && !isNetpbm(text('P')));
  });
});
