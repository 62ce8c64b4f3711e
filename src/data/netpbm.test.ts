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

  // A 10x2 bitmap, 1 black: the second byte of each P4 row holds 2 pixels and 6 padding bits.
  const BITMAP_ROWS = ['1100101001', '0011010110'];
  const bitmapPixels = () => Array.from(BITMAP_ROWS.join(''), (bit) => (bit === '1' ? 0 : 255));

  it('reads P1 (text bitmap) with comments, bits run together or apart, 1 as black', () => {
    const image = decodeNetpbm(
      text('P1\n# a bitmap\n10 # width\n2\n1100101001\n0 0 1 1 0 # half\n1 0 1 1 0\n'),
    );
    assert.deepEqual([image.width, image.height, image.channels, image.maxval], [10, 2, 1, 1]);
    assert.deepEqual([...image.pixels], bitmapPixels());
  });

  it('reads P4 (binary bitmap) rows padded to whole bytes, with no maximum value line', () => {
    const raster = Uint8Array.from([0b11001010, 0b01111111, 0b00110101, 0b10111111]);
    const image = decodeNetpbm(Buffer.concat([text('P4\n# a bitmap\n10 2\n'), raster]));
    assert.deepEqual([image.width, image.height, image.channels, image.maxval], [10, 2, 1, 1]);
    assert.deepEqual([...image.pixels], bitmapPixels());
    // Raster bytes that look like digits or whitespace are pixels, not header.
    const digits = decodeNetpbm(text('P4 8 2\n1 ')); // 0b00110001, 0b00100000
    const black = [2, 3, 7, 10];
    const expected = Array.from({ length: 16 }, (_, i) => (black.includes(i) ? 0 : 255));
    assert.deepEqual([...digits.pixels], expected);
  });

  it('says what is wrong with truncated or malformed bitmaps', () => {
    assert.throws(
      () => decodeNetpbm(Buffer.concat([text('P4 10 2\n'), Buffer.alloc(3)])),
      /truncated.*4 bytes.*3/,
    );
    assert.throws(
      () => decodeNetpbm(text('P1 10 2\n1100101001\n00110')),
      /file ends before its pixel 15 of 20/,
    );
    assert.throws(() => decodeNetpbm(text('P1 2 1 0 2')), /0 or 1 for its pixel 1/);
    assert.throws(() => decodeNetpbm(text('P4 1 1')), /no whitespace after the height/);
    assert.throws(() => decodeNetpbm(text('P1 0 1\n')), /bad size 0x1/);
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
    assert.throws(() => decodeNetpbm(text('P7 1 1\n')), /not a PBM\/PGM\/PPM/);
  });

  it('recognises netpbm by its first bytes only', () => {
    assert.ok(isNetpbm(text('P5\n')) && isNetpbm(text('P6 ')) && isNetpbm(text('P2#c')));
    assert.ok(isNetpbm(text('P1\n')) && isNetpbm(text('P4 ')) && isNetpbm(text('P4#c')));
    assert.ok(!isNetpbm(text('P7\n')) && !isNetpbm(text('P0 ')) && !isNetpbm(text('P5x')));
    assert.ok(!isNetpbm(text('P')));
  });
});
