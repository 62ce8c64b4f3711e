import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { after, describe, it } from 'node:test';

import { UserError } from '../util/log';
import { loadDataset } from './index';
import { readIdxFile } from './mnist';
import { dataset, tempFolder, testLogger } from './testing';

const mnist = (file: string) => dataset('mnist', file);

describe('readIdxFile', () => {
  const temp = tempFolder('idx');
  after(temp.cleanup);

  it('reads the real gzipped training labels and test images', () => {
    const labels = readIdxFile(mnist('train-labels-idx1-ubyte.gz'), 1);
    assert.deepEqual(labels.dims, [60000]);
    assert.deepEqual([...labels.data.subarray(0, 8)], [5, 0, 4, 1, 9, 2, 1, 3]);
    const images = readIdxFile(mnist('t10k-images-idx3-ubyte.gz'), 3);
    assert.deepEqual(images.dims, [10000, 28, 28]);
    assert.equal(images.data.length, 10000 * 28 * 28);
    assert.ok(images.data.some((v) => v === 255));
  });

  it('reads a plain (not gzipped) copy to the same bytes', () => {
    const plain = path.join(temp.dir, 't10k-labels-idx1-ubyte');
    fs.writeFileSync(plain, zlib.gunzipSync(fs.readFileSync(mnist('t10k-labels-idx1-ubyte.gz'))));
    const fromPlain = readIdxFile(plain);
    assert.deepEqual(fromPlain.data, readIdxFile(mnist('t10k-labels-idx1-ubyte.gz')).data);
  });

  it('refuses a bad magic number in one line naming the file', () => {
    const file = path.join(temp.dir, 'broken-idx3-ubyte');
    const bytes = zlib.gunzipSync(fs.readFileSync(mnist('t10k-labels-idx1-ubyte.gz')));
    bytes[0] = 0x12;
    fs.writeFileSync(file, bytes);
    assert.throws(
      () => readIdxFile(file),
      (error: Error) =>
        error instanceof UserError &&
        /^broken-idx3-ubyte: bad magic number 0x12/.test(error.message) &&
        !error.message.includes('\n'),
    );
  });

  it('refuses a truncated file, a wrong rank and a non-byte element type', () => {
    const bytes = zlib.gunzipSync(fs.readFileSync(mnist('t10k-labels-idx1-ubyte.gz')));
    const cut = path.join(temp.dir, 'cut');
    fs.writeFileSync(cut, bytes.subarray(0, 5000));
    assert.throws(
      () => readIdxFile(cut),
      /^UserError: cut: expected 10000 data bytes for \[10000\] but found 4992/,
    );
    assert.throws(
      () => readIdxFile(mnist('t10k-labels-idx1-ubyte.gz'), 3),
      /has 1 dimensions, expected 3/,
    );
    const floats = path.join(temp.dir, 'floats');
    fs.writeFileSync(floats, Buffer.from([0, 0, 0x0d, 1, 0, 0, 0, 0]));
    assert.throws(() => readIdxFile(floats), /element type 0xd is not unsigned byte/);
  });
});

describe('loadDataset with MNIST sources', () => {
  it('loads a folder of idx files as MNIST training images with digit classes', async () => {
    const log = testLogger();
    const set = await loadDataset({ dataset: dataset('mnist'), maxImages: 1000, seed: 3 }, log);
    assert.deepEqual([set.count, set.height, set.width, set.channels], [1000, 28, 28, 1]);
    assert.equal(set.pixels.length, 1000 * 784);
    assert.equal(set.labels?.classes?.index.length, 1000);
    assert.deepEqual(set.labels?.classes?.names, [
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
    ]);
    assert.ok(log.lineWith('loaded 60000 images 28x28x1'));
    assert.ok(log.lineWith('random subset of 1000 of 60000 images (seed 3)'));
  });

  it('gives the bundled digits by default: MNIST training images 0-9999, labelled', async () => {
    const set = await loadDataset({}, testLogger());
    const shape = [set.source, set.count, set.height, set.width, set.channels];
    assert.deepEqual(shape, ['bundled:mnist', 10000, 28, 28, 1]);
    // The package groups them by digit; each must be byte-identical to one of the first 10,000
    // training images, with the same label, and no training image may be used twice.
    const images = readIdxFile(mnist('train-images-idx3-ubyte.gz')).data;
    const labels = readIdxFile(mnist('train-labels-idx1-ubyte.gz')).data;
    const frame = (bytes: Uint8Array, i: number) =>
      Buffer.from(bytes.subarray(i * 784, (i + 1) * 784)).toString('latin1');
    const indexOf = new Map<string, number>();
    for (let i = 0; i < 10000; i++) indexOf.set(frame(images, i), i);
    const used = new Set<number>();
    for (let i = 0; i < set.count; i++) {
      const j = indexOf.get(frame(set.pixels, i));
      assert.ok(
        j !== undefined,
        `bundled image ${i} is not among the first 10,000 training images`,
      );
      assert.equal(set.labels?.classes?.index[i], labels[j]);
      used.add(j);
    }
    assert.equal(used.size, 10000);
  });

  it('resizes MNIST when asked', async () => {
    const set = await loadDataset(
      { maxImages: 20, scale: { width: 14, height: 14 } },
      testLogger(),
    );
    assert.deepEqual(
      [set.count, set.height, set.width, set.channels, set.pixels.length],
      [20, 14, 14, 1, 20 * 196],
    );
    assert.ok(set.pixels.some((v) => v > 128));
  });
});
