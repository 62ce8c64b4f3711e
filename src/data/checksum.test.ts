/**
 * The cache checksum and the native helpers under the cache: CRC-32C against its published check
 * value, native block sums against the JavaScript ones, and mapped files.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';

import { blockCrcs, CHECKSUM_BLOCK, checksum, checksumOfBlocks, crc32c } from './checksum';
import { imageBinding } from './native';
import { tempFolder } from './testing';

const needsBinding = { skip: !imageBinding() && 'build/Release/infogan_image.node not built' };

/** Bytes that are not all alike: a simple linear congruential sequence. */
function noise(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

describe('checksum', () => {
  it("gives CRC-32C's check value and its value for 32 zero bytes", () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
    assert.equal(crc32c(new Uint8Array(0)), 0);
  });

  it('sums blocks natively as the JavaScript CRC-32C does, for any length', needsBinding, () => {
    const native = imageBinding()!;
    for (const length of [0, 1, 7, 8, 9, 64, 1000, 3 * 64 + 5, 7 * 64]) {
      const bytes = noise(length, length + 1);
      const expected = Array.from({ length: Math.ceil(length / 64) }, (_, i) =>
        crc32c(bytes.subarray(i * 64, (i + 1) * 64)),
      );
      assert.deepEqual([...native.crc32cBlocks(bytes, 64)], expected, `${length} bytes`);
    }
    const large = noise(3 * CHECKSUM_BLOCK + 12345);
    assert.deepEqual(blockCrcs(large).length, 4);
    assert.equal(blockCrcs(large)[3], crc32c(large.subarray(3 * CHECKSUM_BLOCK)));
    assert.throws(() => native.crc32cBlocks(large, 12), /multiple of 8/);
  });

  it('gives the same block sums on any number of threads', needsBinding, () => {
    const native = imageBinding()!;
    for (const blocks of [1, 8, 16, 17, 50, 101]) {
      const bytes = noise(blocks * 64 - 3, blocks);
      const one = [...native.crc32cBlocks(bytes, 64, 1)];
      for (const threads of [2, 3, 7]) {
        assert.deepEqual([...native.crc32cBlocks(bytes, 64, threads)], one,
          `${blocks} blocks on ${threads} threads`);
      }
    }
    assert.throws(() => native.crc32cBlocks(noise(64), 64, 0), /threads/);
  });

  it('sums blocks that are not a whole number of cache lines', needsBinding, () => {
    const native = imageBinding()!;
    for (const block of [8, 72, 200, 4104]) {
      const bytes = noise(7 * block + 5, block);
      const expected = Array.from({ length: 8 }, (_, i) =>
        crc32c(bytes.subarray(i * block, (i + 1) * block)));
      assert.deepEqual([...native.crc32cBlocks(bytes, block, 2)], expected, `${block}-byte blocks`);
    }
  });

  it('gives the same sums while a folder listing ends beside it and joins in', needsBinding,
    async () => {
      const native = imageBinding()!;
      const { dir, cleanup } = tempFolder('join');
      try {
        for (let i = 0; i < 600; i++) fs.writeFileSync(path.join(dir, `${i}.bin`), '');
        const bytes = noise(24 << 20);
        const expected = [...native.crc32cBlocks(bytes, CHECKSUM_BLOCK, 1)];
        for (let round = 0; round < 5; round++) {
          const listed = native.listFolder(dir, [], 1);
          assert.deepEqual([...native.crc32cBlocks(bytes, CHECKSUM_BLOCK, 1 + (round % 2))],
            expected, `round ${round}`);
          assert.equal((await listed).sizes.length, 600);
        }
      } finally {
        cleanup();
      }
    });

  it('changes when any one byte of a multi-block buffer changes', () => {
    const bytes = noise(4 * CHECKSUM_BLOCK + 100);
    const original = checksum(bytes);
    for (const at of [0, CHECKSUM_BLOCK - 1, 2 * CHECKSUM_BLOCK + 77, bytes.length - 1]) {
      for (const flip of [0x01, 0x80]) {
        bytes[at] ^= flip;
        assert.notEqual(checksum(bytes), original, `byte ${at} ^ ${flip}`);
        bytes[at] ^= flip;
      }
    }
    assert.equal(checksum(bytes), original);
    // Two equal blocks swapped with two others: the order of blocks counts too.
    const swapped = Buffer.concat([
      bytes.subarray(CHECKSUM_BLOCK, 2 * CHECKSUM_BLOCK),
      bytes.subarray(0, CHECKSUM_BLOCK),
      bytes.subarray(2 * CHECKSUM_BLOCK),
    ]);
    assert.notEqual(checksum(swapped), original);
  });
});

describe('MappedFile', needsBinding, () => {
  const temp = tempFolder('map');
  after(temp.cleanup);
  const map = (file: string) => new (imageBinding()!.MappedFile)(file);

  it('reads pieces and sums ranges in place, as the same bytes read from disk', () => {
    const file = path.join(temp.dir, 'pieces.bin');
    const bytes = noise(5 * CHECKSUM_BLOCK + 1001);
    fs.writeFileSync(file, bytes);
    const mapped = map(file);
    assert.equal(mapped.byteLength, bytes.length);
    assert.deepEqual(mapped.read(17, 300), bytes.subarray(17, 317));
    assert.deepEqual(mapped.read(bytes.length, 0), new Uint8Array(0));
    const start = 44;
    const rest = bytes.subarray(start);
    for (const threads of [1, 2, 3]) {
      const crcs = mapped.crc32cBlocks(start, rest.length, CHECKSUM_BLOCK, threads);
      assert.equal(checksumOfBlocks(crcs), checksum(rest), `${threads} threads`);
    }
    assert.throws(() => mapped.read(bytes.length - 10, 11), /outside the mapped file/);
    assert.throws(() => mapped.read(-1, 2), /outside the mapped file/);
    assert.throws(() => mapped.read(0.5, 2), /outside the mapped file/);
    assert.throws(() => mapped.crc32cBlocks(0, 64, 12, 1), /multiple of 8/);
    assert.throws(() => mapped.crc32cBlocks(0, 64, 64, 0), /threads/);
    mapped.close();
    assert.throws(() => mapped.read(0, 1), /already taken or closed/);
  });

  it("hands the whole file over once; writes to it never reach the file", () => {
    const file = path.join(temp.dir, 'data.bin');
    const bytes = noise(100_000);
    fs.writeFileSync(file, bytes);
    const mapped = map(file);
    const whole = new Uint8Array(mapped.take());
    assert.deepEqual(whole, bytes);
    whole[5] ^= 0xff;
    assert.deepEqual(fs.readFileSync(file), Buffer.from(bytes));
    assert.equal(whole[5], bytes[5] ^ 0xff);
    assert.throws(() => mapped.take(), /already taken or closed/);
    assert.throws(() => mapped.read(0, 1), /already taken or closed/);
    mapped.close(); // the buffer keeps its pages
    assert.equal(whole[6], bytes[6]);
  });

  it('names the file and exits 1 when the file is cut short under its reader', () => {
    const file = path.join(temp.dir, 'cut.bin');
    fs.writeFileSync(file, noise(1 << 20));
    const script = `
      const { imageBinding } = require(${JSON.stringify(require.resolve('./native'))});
      const file = ${JSON.stringify(file)};
      const bytes = new Uint8Array(new (imageBinding().MappedFile)(file).take());
      require('node:fs').truncateSync(file, 0);
      console.log('read', bytes[900000]);`;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(result.status, 1, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, `infogan: the data cache ${file} was changed while in use ` +
      '(cut short by another program); run again to rebuild it\n');
  });

  it('maps an empty file, and names a missing one', () => {
    const empty = path.join(temp.dir, 'empty.bin');
    fs.writeFileSync(empty, '');
    const mapped = map(empty);
    assert.equal(mapped.byteLength, 0);
    assert.deepEqual([...mapped.crc32cBlocks(0, 0, 64, 1)], []);
    assert.equal(mapped.take().byteLength, 0);
    assert.throws(() => map(path.join(temp.dir, 'missing')), /cannot open .*missing/);
  });
});
