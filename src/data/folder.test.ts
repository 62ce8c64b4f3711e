/**
 * The image-folder loader on the real data sets in ../shared/datasets, read in place.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';

import { UserError } from '../util/log';
import { loadDataset } from './index';
import { dataset, permissionBoundUser, tempFolder, testLogger } from './testing';

/** A user that file permissions apply to (root reads everything). */
const BOUND = permissionBoundUser();

const cache = tempFolder('folder-cache');
after(cache.cleanup);
const cacheDir = cache.dir;

describe('Extended Yale B (PGM faces plus the junk a real copy holds)', () => {
  const yale = dataset('yale-b-cropped');

  it('loads every subject folder with identity classes and reports what it skipped', async () => {
    const log = testLogger();
    const set = await loadDataset(
      { dataset: yale, scale: { width: 21, height: 24 }, cacheDir },
      log,
    );
    const subjects = fs
      .readdirSync(yale)
      .filter((name) => name.startsWith('yaleB'))
      .sort();
    assert.equal(subjects.length, 38);
    assert.deepEqual(set.labels?.classes?.names, subjects);
    // 2,414 faces + 38 ambient shots (28 of them 640x480, cropped and resized like the rest).
    assert.deepEqual([set.count, set.width, set.height, set.channels], [2452, 21, 24, 1]);
    const perSubject = new Array(38).fill(0);
    set.labels!.classes!.index.forEach((subject) => perSubject[subject]++);
    assert.ok(
      perSubject.every((n) => n >= 40),
      `images per subject: ${perSubject}`,
    );
    assert.ok(set.files!.includes('yaleB11/yaleB11_P00_Ambient.pgm'));
    assert.ok(
      set.files!.every((file, i) => file.startsWith(subjects[set.labels!.classes!.index[i]] + '/')),
    );

    const skipped = log.lines.filter((line) => line.startsWith('skipped'));
    assert.equal(skipped.length, 1, 'one summary line');
    assert.match(
      skipped[0],
      /^skipped 95 of 2547 files: 18 marked \.bad \(yaleB11\/yaleB11_P00A\+050E-40\.pgm\.bad, /,
    );
    assert.match(
      skipped[0],
      /77 not an image \(yaleB01\/DEADJOE, yaleB01\/WS_FTP\.LOG, yaleB01\/yaleB01_P00\.info, \+74 more\)/,
    );
    assert.ok(log.lineWith('channels: 1 (all 2452 images are grey)'));
    // Every one of the 95 is listed with why, in path order, from the cache as well.
    assert.equal(set.skipped?.length, 95);
    assert.deepEqual(set.skipped!.slice(0, 3).map((s) => `${s.relative}: ${s.why}`), [
      'yaleB01/DEADJOE: not an image', 'yaleB01/WS_FTP.LOG: not an image',
      'yaleB01/yaleB01_P00.info: not an image']);
    assert.equal(set.skipped!.filter((s) => s.why === 'marked .bad').length, 18);
    const again = await loadDataset({ dataset: yale, scale: { width: 21, height: 24 }, cacheDir },
      testLogger());
    assert.deepEqual(again.skipped, set.skipped);
    // The ambient shots carry no light direction: they alone are left out of the light labels.
    const light = set.labels!.continuous!;
    assert.deepEqual(light.names, ['light_azimuth', 'light_elevation']);
    set.files!.forEach((file, i) => {
      const ambient = file.endsWith('_Ambient.pgm');
      assert.equal(Number.isNaN(light.values[2 * i]), ambient, file);
      assert.equal(Number.isNaN(light.values[2 * i + 1]), ambient, file);
    });
    const some = set.files!.findIndex((file) => /A-035E\+15/.test(file));
    assert.deepEqual([...light.values.subarray(2 * some, 2 * some + 2)], [-35, 15]);
    assert.ok(log.lineWith('38 of 2452 names have no A+000E+00 part and are left out'));
  });

  it('without --scale_dataset, names the sizes it saw and suggests the flag', async () => {
    const log = testLogger();
    await assert.rejects(loadDataset({ dataset: yale, cacheDir }, log), (error: Error) => {
      assert.ok(error instanceof UserError);
      assert.match(
        error.message,
        /differ in size: 2424 are 168x192 .*, 28 are 640x480 \(e\.g\. yaleB11\/yaleB11_P00_Ambient\.pgm\)/,
      );
      assert.match(error.message, /--scale_dataset 168 192$/);
      return true;
    });
    // The files already found not to be images are named before the load stops.
    assert.match(log.lineWith('skipped') ?? '', /not an image/);
  });

  it('loads one subject folder at its own size when all its images share it', async () => {
    const set = await loadDataset({ dataset: path.join(yale, 'yaleB01'), cacheDir }, testLogger());
    assert.deepEqual([set.count, set.width, set.height, set.channels], [65, 168, 192, 1]);
    assert.equal(set.labels?.classes, undefined);
  });
});

describe('LFW people (grey JPEGs in one folder per person)', () => {
  it('gives identity labels from the people folders', async () => {
    const lfw = dataset('lfw-people');
    const set = await loadDataset(
      { dataset: lfw, scale: { width: 32, height: 32 }, maxImages: 150, seed: 1, cacheDir },
      testLogger(),
    );
    const people = fs.readdirSync(lfw).sort();
    assert.deepEqual(set.labels?.classes?.names, people);
    assert.deepEqual([set.count, set.channels], [150, 1]);
    set.files!.forEach((file, i) =>
      assert.equal(path.dirname(file), people[set.labels!.classes!.index[i]]),
    );
  });
});

describe('CelebA (JPEG faces, attribute list above the image folder)', () => {
  /** Rows of list_attr_celeba.txt by file name, read independently of the loader. */
  function attributeRows(): Map<string, number[]> {
    const lines = fs
      .readFileSync(dataset('celeba-10k', 'list_attr_celeba.txt'), 'utf8')
      .trim()
      .split('\n');
    return new Map(
      lines.slice(2).map((line) => {
        const [name, ...values] = line.trim().split(/ +/);
        return [name, values.map(Number)];
      }),
    );
  }

  it('lines images up with their attribute rows (list found one level up)', async () => {
    const log = testLogger();
    const folder = dataset('celeba-10k', 'img_align_celeba');
    const set = await loadDataset({ dataset: folder, maxImages: 200, seed: 5, cacheDir }, log);
    assert.deepEqual([set.count, set.width, set.height, set.channels], [200, 89, 109, 3]);
    const attributes = set.labels!.attributes!;
    assert.equal(attributes.names.length, 40);
    assert.equal(attributes.names[31], 'Smiling');
    const rows = attributeRows();
    set.files!.forEach((file, i) => {
      assert.deepEqual([...attributes.values.subarray(i * 40, (i + 1) * 40)], rows.get(file), file);
    });
    assert.ok(log.lineWith('40 attributes for 200 of 200 images'));
    assert.ok(log.lineWith('its header counts 202599 rows, it holds 10000'));
  });

  it('finds the list in the folder itself and keeps it out of the images', async () => {
    const log = testLogger();
    const set = await loadDataset({ dataset: dataset('celeba-10k'), maxImages: 30, cacheDir }, log);
    assert.equal(set.count, 30);
    assert.ok(set.files!.every((file) => file.startsWith('img_align_celeba/')));
    assert.equal(log.lineWith('skipped'), undefined);
    assert.equal(set.labels?.attributes?.values.length, 30 * 40);
  });

  it('accepts a relative path', async () => {
    const relative = path.relative(process.cwd(), dataset('celeba-10k', 'img_align_celeba'));
    const set = await loadDataset(
      { dataset: relative, maxImages: 10, scale: { width: 16, height: 16 }, cacheDir },
      testLogger(),
    );
    assert.equal(set.source, dataset('celeba-10k', 'img_align_celeba'));
    assert.equal(set.count, 10);
  });
});

describe('folder errors', () => {
  it('names a missing folder, and a folder with no readable image', async () => {
    await assert.rejects(
      loadDataset({ dataset: '/no/such/folder', cacheDir }, testLogger()),
      /not found: \/no\/such\/folder/,
    );
    const junk = tempFolder('junk');
    try {
      fs.writeFileSync(path.join(junk.dir, 'notes.txt'), 'hello');
      fs.writeFileSync(path.join(junk.dir, 'empty.jpg'), '');
      await assert.rejects(
        loadDataset({ dataset: junk.dir, cacheDir }, testLogger()),
        (error: Error) =>
          error instanceof UserError &&
          error.message === `no readable images in ${junk.dir}: skipped 2 of 2 files: ` +
            '1 empty (empty.jpg); 1 not an image (notes.txt)',
      );
    } finally {
      junk.cleanup();
    }
  });

  it('leaves out links to folders above the data set, saying so, and goes on', async () => {
    const temp = tempFolder('above');
    try {
      const faces = path.join(temp.dir, 'faces');
      fs.mkdirSync(faces);
      for (const name of ['000001.jpg', '000002.jpg'])
        fs.copyFileSync(dataset('celeba-10k', 'img_align_celeba', name), path.join(faces, name));
      fs.symlinkSync('/', path.join(faces, 'everything'));
      fs.symlinkSync(temp.dir, path.join(faces, 'parent'));
      const log = testLogger();
      const set = await loadDataset({ dataset: faces, scale: { width: 8, height: 8 }, cacheDir },
        log);
      assert.deepEqual(set.files, ['000001.jpg', '000002.jpg']);
      const why = 'a link to a folder above the data set';
      assert.ok(log.lineWith(`left out 2 folders: everything/ (${why}), parent/ (${why})`));
      fs.rmSync(path.join(faces, '000001.jpg'));
      fs.rmSync(path.join(faces, '000002.jpg'));
      await assert.rejects(loadDataset({ dataset: faces, cacheDir }, testLogger()),
        new RegExp(`no readable images in .*: left out 2 folders: everything/ \\(${why}\\)`));
    } finally {
      temp.cleanup();
    }
  });

  it('names a file it may not read as unreadable, with the reason',
    { skip: BOUND === null && 'user nobody cannot read this checkout' }, () => {
    const temp = tempFolder('locked');
    try {
      fs.chmodSync(temp.dir, 0o755);
      for (const name of ['000001.jpg', '000002.jpg', 'locked.jpg'])
        fs.copyFileSync(dataset('celeba-10k', 'img_align_celeba', '000001.jpg'), path.join(temp.dir, name));
      fs.chmodSync(path.join(temp.dir, 'locked.jpg'), 0);
      const script = `
        const { loadDataset } = require(${JSON.stringify(require.resolve('./index'))});
        const { MemoryLogger } = require(${JSON.stringify(require.resolve('../util/log'))});
        const log = new MemoryLogger();
        loadDataset({ dataset: ${JSON.stringify(temp.dir)}, scale: { width: 8, height: 8 },
          cache: false }, log).then(() => process.stdout.write(log.lines.join('\\n')));`;
      const output = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', ...BOUND });
      assert.match(output, /^skipped 1 of 3 files: 1 unreadable \(locked\.jpg: permission denied\)$/m);
    } finally {
      temp.cleanup();
    }
  });

  it('refuses a malformed label file before decoding, not after', async () => {
    const temp = tempFolder('bad-labels');
    try {
      const list = path.join(temp.dir, 'list.txt');
      fs.writeFileSync(list, '2\nSmiling Young\n000001.jpg 1 -1\n000001.jpg -1 1\n');
      const log = testLogger();
      await assert.rejects(loadDataset({ dataset: dataset('celeba-10k', 'img_align_celeba'),
        scale: { width: 8, height: 8 }, maxImages: 50, labels: list, cache: false }, log),
      /:4: a second row for 000001\.jpg \(the first is line 3\)/);
      assert.equal(log.lines.some((line) => line.startsWith('decoded ')), false);
    } finally {
      temp.cleanup();
    }
  });
});
