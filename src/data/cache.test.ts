/**
 * The decoded-set cache, on a temp copy of a few real CelebA files (the shared set is read-only).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it, mock } from 'node:test';

import { loadDataset } from './index';
import { imageBinding } from './native';
import { dataset, tempFolder, testLogger } from './testing';
import type { DatasetOptions } from './types';

/** An attribute row with its value at `column` negated (same length: ' 1' <-> '-1'). */
function flipValue(row: string, column: number): string {
  const [name, ...values] = row.split(/(?= [ -]1)/);
  values[column] = values[column] === ' -1' ? '  1' : ' -1';
  return [name, ...values].join('');
}

describe('decoded-set cache', () => {
  const temp = tempFolder('cache');
  const images = path.join(temp.dir, 'faces');
  const cacheDir = path.join(temp.dir, 'cache');
  const options: DatasetOptions = { dataset: images, scale: { width: 24, height: 24 }, cacheDir };
  const load = async (extra: Partial<DatasetOptions> = {}) => {
    const log = testLogger();
    const set = await loadDataset({ ...options, ...extra }, log);
    return { set, log, fromCache: log.lineWith('from cache') !== undefined };
  };
  const cacheFiles = () => fs.readdirSync(cacheDir).map((name) => path.join(cacheDir, name));

  before(() => {
    fs.mkdirSync(images);
    for (let i = 1; i <= 12; i++) {
      const name = `${String(i).padStart(6, '0')}.jpg`;
      fs.copyFileSync(dataset('celeba-10k', 'img_align_celeba', name), path.join(images, name));
    }
  });
  after(temp.cleanup);

  it('returns identical bytes, files and labels from the cache on a second load', async () => {
    const cold = await load();
    assert.equal(cold.fromCache, false);
    assert.equal(cacheFiles().length, 1);
    // Where the cache went, and its size: it can take gigabytes for a large folder.
    const kB = Math.ceil(fs.statSync(cacheFiles()[0]).size / 1024);
    assert.ok(cold.log.lineWith(`cached the decoded images in ${cacheFiles()[0]} (${kB} kB)`));
    const warm = await load();
    assert.equal(warm.fromCache, true);
    assert.deepEqual(warm.set.pixels, cold.set.pixels);
    assert.deepEqual(warm.set.files, cold.set.files);
    assert.deepEqual(warm.set.labels, cold.set.labels);
    assert.equal(warm.set.labels?.attributes, undefined);
    // The build's notes are repeated, so a cached run logs what the cold one did.
    assert.ok(warm.log.lineWith('channels: 3 (12 of 12 images have colour)'));
  });

  it('misses after a file is touched, and for other settings', async () => {
    await load();
    const touched = path.join(images, '000003.jpg');
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(touched, later, later);
    assert.equal((await load()).fromCache, false);
    assert.equal((await load()).fromCache, true);
    assert.equal((await load({ scale: { width: 20, height: 24 } })).fromCache, false);
    assert.equal((await load({ forceGrayscale: true })).fromCache, false);
    assert.equal((await load({ maxImages: 5 })).fromCache, false);
    assert.equal((await load({ maxImages: 5, seed: 1 })).fromCache, false);
    assert.equal((await load({ maxImages: 5, seed: 1 })).fromCache, true);
  });

  it('misses when a file is rewritten with its size and mtime kept (as touch -r leaves it)',
    async () => {
      const file = path.join(images, '000005.jpg');
      const mtime = new Date('2024-05-06T07:08:09.123Z'); // whole milliseconds, as utimes sets
      const atime = mtime;
      fs.utimesSync(file, atime, mtime);
      const before = (await load()).set.pixels;
      const stamp = fs.statSync(file).mtimeMs;
      const bytes = fs.readFileSync(file);
      const other = fs.readFileSync(dataset('celeba-10k', 'img_align_celeba', '000020.jpg'));
      const swapped = Buffer.alloc(bytes.length, 0); // another face, at this one's size
      other.copy(swapped, 0, 0, Math.min(other.length, bytes.length));
      try {
        fs.writeFileSync(file, swapped);
        assert.equal(fs.statSync(file).size, bytes.length);
        fs.utimesSync(file, atime, mtime);
        assert.equal(fs.statSync(file).mtimeMs, stamp);
        const after = await load();
        assert.equal(after.fromCache, false);
      } finally {
        fs.writeFileSync(file, bytes);
      }
      assert.deepEqual((await load()).set.pixels, before);
    });

  it('hits still when a run is written inside the data folder, saying nothing of it', async () => {
    await load();
    const run = path.join(images, 'runs', 'one');
    for (const name of ['config.json', 'model.json', 'checkpoints/manifest.json', 'grids/g.png']) {
      fs.mkdirSync(path.dirname(path.join(run, name)), { recursive: true });
      fs.copyFileSync(path.join(images, '000001.jpg'), path.join(run, name));
    }
    try {
      const after = await load();
      assert.equal(after.fromCache, true);
      assert.equal(after.set.count, 12);
      assert.equal(after.log.lines.some((line) => line.includes('runs/')), false);
    } finally {
      fs.rmSync(path.join(images, 'runs'), { recursive: true });
    }
  });

  it('hits still with a link into /proc in the folder, whose times change at every look',
    { skip: !fs.existsSync('/proc/self/status') && 'no /proc here' }, async () => {
      const link = path.join(images, 'status');
      fs.symlinkSync('/proc/self/status', link);
      try {
        await load();
        const again = await load();
        assert.equal(again.fromCache, true);
      } finally {
        fs.rmSync(link);
      }
    });

  it('misses when a file is added', async () => {
    await load();
    fs.copyFileSync(
      dataset('celeba-10k', 'img_align_celeba', '000013.jpg'),
      path.join(images, '000013.jpg'),
    );
    const after = await load();
    assert.equal(after.fromCache, false);
    assert.equal(after.set.count, 13);
    fs.rmSync(path.join(images, '000013.jpg'));
  });

  it('detects a damaged cache in one line, rebuilds it and never trusts it', async () => {
    fs.rmSync(cacheDir, { recursive: true });
    const reference = (await load()).set.pixels;
    for (const damage of ['flip a pixel byte', 'cut the file short', 'flip a header byte']) {
      const [file] = cacheFiles();
      const bytes = fs.readFileSync(file);
      if (damage === 'flip a pixel byte') bytes[bytes.length - 100] ^= 0xff;
      if (damage === 'flip a header byte') bytes[60] ^= 0x01;
      fs.writeFileSync(
        file,
        damage === 'cut the file short' ? bytes.subarray(0, bytes.length - 7) : bytes,
      );
      const rebuilt = await load();
      assert.equal(rebuilt.fromCache, false, damage);
      const line = rebuilt.log.lines.filter(
        (l) => l.startsWith('cache ') && l.includes('rebuilding'),
      );
      assert.equal(line.length, 1, damage);
      const why = damage === 'cut the file short'
        ? /is damaged \(\d+ pixel bytes, expected \d+\)/
        : /is damaged \(checksum mismatch\)/;
      assert.match(line[0], why, damage);
      assert.deepEqual(rebuilt.set.pixels, reference, damage);
      assert.equal((await load()).fromCache, true, damage);
    }
  });

  it('hands out pixels that can be changed without changing the cache', async () => {
    const first = await load();
    assert.equal(first.fromCache, true);
    const reference = Buffer.from(first.set.pixels);
    first.set.pixels[0] ^= 0xff;
    first.set.pixels[first.set.pixels.length - 1] ^= 0xff;
    const second = await load();
    assert.equal(second.fromCache, true);
    assert.deepEqual(Buffer.from(second.set.pixels), reference);
  });

  it('reads the cache where it cannot be mapped', { skip: !imageBinding() }, async () => {
    const mapped = (await load()).set.pixels;
    const mapping = mock.method(imageBinding()!, 'MappedFile', function refuse() {
      throw new Error('cannot map: No such device');
    });
    try {
      const read = await load();
      assert.equal(read.fromCache, true);
      assert.equal(mapping.mock.callCount(), 1);
      assert.deepEqual(read.set.pixels, mapped);
    } finally {
      mapping.mock.restore();
    }
  });

  it('rebuilds over a pipe at the cache file\'s name instead of waiting on it', async () => {
    const [file] = cacheFiles();
    fs.rmSync(file);
    execFileSync('mkfifo', [file]);
    const rebuilt = await load();
    assert.equal(rebuilt.fromCache, false);
    assert.ok(rebuilt.log.lineWith('is not a regular file; rebuilding it'));
    assert.ok(fs.statSync(file).isFile());
    assert.equal((await load()).fromCache, true);
  });

  it('rebuilds a cache written by another version of infogan, saying so', async () => {
    const [file] = cacheFiles();
    const bytes = fs.readFileSync(file);
    bytes.write('IGANDS02', 0, 'ascii');
    fs.writeFileSync(file, bytes);
    const rebuilt = await load();
    assert.equal(rebuilt.fromCache, false);
    assert.ok(rebuilt.log.lineWith('is from another infogan version (IGANDS02); rebuilding it'));
    assert.equal((await load()).fromCache, true);
  });

  it('keeps the labels, reusing them while the label file is unchanged', async () => {
    // The attribute rows of the 12 faces, as a --labels file.
    const rows = fs
      .readFileSync(dataset('celeba-10k', 'list_attr_celeba.txt'), 'latin1')
      .split('\n')
      .slice(0, 14);
    const list = path.join(temp.dir, 'attributes.txt');
    const written = new Date('2024-05-06T07:08:09Z');
    fs.writeFileSync(list, rows.join('\n') + '\n');
    fs.utimesSync(list, written, written);
    fs.rmSync(cacheDir, { recursive: true });
    const cold = await load({ labels: list });
    const warm = await load({ labels: list });
    assert.deepEqual([cold.fromCache, warm.fromCache], [false, true]);
    assert.deepEqual(warm.set.labels, cold.set.labels);
    const smiling = cold.set.labels!.attributes!.names.indexOf('Smiling');
    assert.ok(warm.log.lineWith('labels: 40 attributes for 12 of 12 images from'));

    // Rewritten at the same size with its mtime set back (touch -r): its ctime tells, so it is
    // read again, with the pixels still from the cache.
    const flipped = rows.map((row, i) => (i === 2 ? flipValue(row, smiling) : row));
    fs.writeFileSync(list, flipped.join('\n') + '\n');
    fs.utimesSync(list, written, written);
    const reread = await load({ labels: list });
    assert.equal(reread.fromCache, true);
    const values = reread.set.labels!.attributes!.values;
    assert.equal(values[smiling], -cold.set.labels!.attributes!.values[smiling]);
    // Untouched since: the kept labels are used unread.
    const kept = await load({ labels: list });
    assert.ok(kept.log.lines.some((line) => line.startsWith('labels: 40 attributes')));
    assert.deepEqual(kept.set.labels, reread.set.labels);
  });

  it('is written even when the labels are refused', async () => {
    fs.rmSync(cacheDir, { recursive: true });
    const partial = path.join(temp.dir, 'classes.txt');
    fs.writeFileSync(partial, 'none-of-these.jpg smiling\n');
    await assert.rejects(load({ labels: partial }), /has a class for none of the 12 images/);
    assert.equal((await load()).fromCache, true);
  });

  it('warns and goes on when the cache folder is a file', async () => {
    const notAFolder = path.join(temp.dir, 'cache-file');
    fs.writeFileSync(notAFolder, 'a file where the cache folder should be');
    const { set, log } = await load({ cacheDir: notAFolder, scale: { width: 12, height: 12 } });
    assert.equal(set.count, 12);
    assert.equal(log.warnings.length, 1);
    assert.match(log.warnings[0], /^could not write the data cache .*cache-file.*ENOTDIR/);
  });

  it('warns and goes on when a folder has the cache file\'s name', async () => {
    const dir = path.join(temp.dir, 'cache-blocked');
    const settings = { cacheDir: dir, scale: { width: 10, height: 10 } };
    await load(settings);
    const [name] = fs.readdirSync(dir);
    fs.rmSync(path.join(dir, name));
    fs.mkdirSync(path.join(dir, name, 'inside'), { recursive: true });
    const { set, log } = await load(settings);
    assert.equal(set.count, 12);
    assert.deepEqual(log.warnings,
      [`could not write the data cache ${path.join(dir, name)}: a folder has its name (not made ` +
        'by infogan, so left alone); remove it to cache this set']);
    assert.equal(log.lines.some((line) => line.startsWith('cache ')), false, 'one line, no more');
    assert.ok(fs.statSync(path.join(dir, name)).isDirectory(), 'the folder is left alone');
    assert.deepEqual(fs.readdirSync(dir), [name], 'no temporary file left');
  });

  it('can be switched off', async () => {
    const before = fs.readdirSync(cacheDir).length;
    const result = await load({ cache: false, scale: { width: 8, height: 8 } });
    assert.equal(result.fromCache, false);
    assert.equal(fs.readdirSync(cacheDir).length, before);
  });
});
