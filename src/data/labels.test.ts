import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';

import { UserError } from '../util/log';
import { encodePng } from '../util/png';
import { loadDataset } from './index';
import { alignAttributes, alignClasses, readAttributeFile, readLabelFile } from './labels';
import { dataset, tempFolder, testLogger } from './testing';

const temp = tempFolder('labels');
after(() => temp.cleanup());

function write(name: string, text: string | Uint8Array): string {
  const file = path.join(temp.dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** A folder of small grey PNGs with these names. */
function imageFolder(name: string, files: string[]): string {
  const dir = path.join(temp.dir, name);
  fs.mkdirSync(dir);
  files.forEach((file, i) => {
    const pixels = new Uint8Array(8 * 8).fill(30 * i);
    fs.writeFileSync(path.join(dir, file), encodePng(pixels, 8, 8, 1));
  });
  return dir;
}

/** UTF-8 text after a byte-order mark, as Notepad saves it. */
const BOM = '\ufeff';

describe('class lists (--labels with "file class" lines)', () => {
  it('reads a class per file and numbers the classes in natural order', () => {
    const table = readLabelFile(write('ids.txt', 'a.jpg 10\nb.jpg 2\n\nc.jpg 2\r\nd.jpg x\n'));
    assert.ok('classOf' in table);
    const classes = alignClasses(table, ['sub/c.jpg', 'a.jpg', 'd.jpg', 'b.jpg'], 'ids.txt');
    assert.deepEqual(classes.names, ['2', '10', 'x']);
    assert.deepEqual([...classes.index], [0, 1, 2, 0]);
  });

  it('still reads CelebA attribute lists as attributes', () => {
    const table = readLabelFile(write('attrs.txt', '2\nSmiling Young\na.jpg 1 -1\nb.jpg -1 1\n'));
    assert.ok('names' in table);
    assert.deepEqual(table.names, ['Smiling', 'Young']);
  });

  it('leaves images the list does not name without a class (-1), counting names unused', () => {
    const table = readLabelFile(write('some.txt', 'a.jpg 1\nc.jpg 0\ngone.jpg 1\n'));
    assert.ok('classOf' in table);
    const classes = alignClasses(table, ['a.jpg', 'b.jpg', 'c.jpg'], 'some.txt');
    assert.deepEqual(classes, { names: ['0', '1'], index: Int32Array.from([1, -1, 0]), labelled: 2,
      unused: { count: 1, examples: ['gone.jpg'] } });
  });

  it('names images by their paths in the folder, or by file name where that is unique', () => {
    const files = ['x/img.jpg', 'y/img.jpg', 'y/other.jpg', 'my photos/day one.jpg'];
    const table = readLabelFile(write('paths.txt',
      'x/img.jpg cat\n./y/img.jpg dog\nother.jpg dog\nmy photos/day one.jpg\tcat\n'));
    assert.ok('classOf' in table);
    const classes = alignClasses(table, files, 'paths.txt');
    assert.deepEqual(classes.names, ['cat', 'dog']);
    assert.deepEqual([...classes.index], [0, 1, 1, 0]);
    assert.equal(classes.unused.count, 0);
    const bare = readLabelFile(write('bare.txt', 'img.jpg cat\nother.jpg dog\n'));
    assert.ok('classOf' in bare);
    assert.throws(() => alignClasses(bare, files, 'bare.txt'), (e) => e instanceof UserError &&
      e.message === '--labels bare.txt: "img.jpg" could be any of 2 images (x/img.jpg, ' +
        'y/img.jpg); name them by their paths relative to the data folder');
  });

  it('refuses a list naming no image, contradicting lines, a malformed line and an unreadable ' +
    'file, in one line each', () => {
    const table = readLabelFile(write('other.txt', 'x.jpg 1\n'));
    assert.ok('classOf' in table);
    assert.throws(() => alignClasses(table, ['a.jpg', 'b.jpg'], 'other.txt'),
      (e) => e instanceof UserError && e.message === '--labels other.txt has a class for none ' +
        'of the 2 images (e.g. a.jpg; the list names x.jpg); its lines should read "file class" ' +
        'with the image\'s path relative to the data folder, or its file name');
    const twice = write('twice.txt', 'a.jpg 1\nb.jpg 2\na.jpg 3\n');
    assert.throws(() => readLabelFile(twice), (e) => e instanceof UserError &&
      e.message === `--labels ${twice}:3: a.jpg is "3" here but "1" on line 1; give each image one class`);
    const bad = write('bad.txt', 'a.jpg 1\nb.jpg 1 2 3\n');
    assert.throws(() => readLabelFile(bad), (e) => e instanceof UserError &&
      e.message.startsWith(`--labels ${bad}:2: expected "file class"`));
    assert.throws(() => readLabelFile(path.join(temp.dir, 'none.txt')), (e) => e instanceof UserError &&
      /--labels .*none\.txt: cannot read it \(ENOENT\)/.test(e.message));
  });

  it('refuses a label file for MNIST, whose digits are its labels', async () => {
    const list = write('digits.txt', 'a.png 1\n');
    await assert.rejects(loadDataset({ dataset: dataset('mnist'), labels: list }, testLogger()),
      (e) => e instanceof UserError && e.message === `--labels ${list}: ${dataset('mnist')} carry ` +
        'their own digit labels; --labels is for folders of images');
  });

  it('labels real CelebA images from a class list, aligned by file name', async () => {
    // Classes derived from the attribute list (Eyeglasses x Smiling), written as a class list.
    const rows = fs.readFileSync(dataset('celeba-10k', 'list_attr_celeba.txt'), 'utf8')
      .trim().split('\n').slice(2).map((line) => line.trim().split(/ +/));
    const classOf = new Map(rows.map(([name, ...v]) =>
      [name, `${v[15] === '1' ? 'glasses' : 'none'}-${v[31] === '1' ? 'smile' : 'still'}`]));
    const list = write('identity.txt', [...classOf].map(([n, c]) => `${n} ${c}`).join('\n'));
    const log = testLogger();
    const set = await loadDataset({ dataset: dataset('celeba-10k', 'img_align_celeba'),
      maxImages: 120, seed: 3, labels: list, cacheDir: path.join(temp.dir, 'cache') }, log);
    const classes = set.labels!.classes!;
    assert.equal(set.labels!.attributes, undefined);
    set.files!.forEach((file, i) => assert.equal(classes.names[classes.index[i]], classOf.get(file)));
    assert.ok(log.lineWith(`classes for every image from ${list}`));
  });

  it('reads UTF-8: names with accents and CJK characters match the images they name', async () => {
    // 'à' is C3 A0 in UTF-8, and A0 read as Latin-1 is a no-break space, which split the name.
    const names = ['ünï çødé 顔.png', 'voilà.png', 'plain.png'];
    const folder = imageFolder('unicode', names);
    const list = write('unicode.txt', 'ünï çødé 顔.png\t顔\nvoilà.png  café\nplain.png café\n');
    const log = testLogger();
    const set = await loadDataset({ dataset: folder, labels: list,
      cacheDir: path.join(temp.dir, 'cache') }, log);
    const classes = set.labels!.classes!;
    const classOf = new Map(set.files!.map((file, i) => [file, classes.names[classes.index[i]]]));
    assert.deepEqual(Object.fromEntries(classOf),
      { 'ünï çødé 顔.png': '顔', 'voilà.png': 'café', 'plain.png': 'café' });
    assert.equal(log.lineWith('labels:'), `labels: 2 classes for every image from ${list}`);
  });

  it('matches a name however its accents are encoded (composed or decomposed)', () => {
    const composed = 'Zoë/Zoë_01.jpg';
    const decomposed = composed.normalize('NFD');
    assert.notEqual(composed, decomposed);
    const table = readLabelFile(write('zoe.txt', `${composed} Zoë\nJosé_02.jpg José\n`));
    assert.ok('classOf' in table);
    const classes = alignClasses(table, [decomposed, 'José_02.jpg'.normalize('NFD')], 'zoe.txt');
    assert.deepEqual([classes.labelled, classes.unused.count], [2, 0]);
  });

  it('skips a byte-order mark before the first name', () => {
    const table = readLabelFile(write('bom.txt',
      `${BOM}George_W_Bush_0001.jpg George\nLaura_Bush_0001.jpg Laura\n`));
    assert.ok('classOf' in table);
    assert.deepEqual([...table.classOf.keys()], ['George_W_Bush_0001.jpg', 'Laura_Bush_0001.jpg']);
  });

  it('refuses a list that is not UTF-8 (saved as Latin-1), naming the line', () => {
    const latin1 = Buffer.from('a.jpg Ariel\nb.jpg J\u00f6rgen\nc.jpg J\u00fcrgen\n', 'latin1');
    const file = write('latin1.txt', latin1);
    assert.throws(() => readLabelFile(file), (e) => e instanceof UserError &&
      e.message === `--labels ${file}:2: not UTF-8 text; save the list as UTF-8`);
  });
});

describe('attribute lists (CelebA list_attr_celeba.txt)', () => {
  it('reads +1, 1 and -1 values between spaces and tabs, CRLF lines and blank lines', () => {
    const text = '3\r\nSmiling  Young\r\na.jpg  1 -1\r\n\r\nb.jpg\t-1\t+1\n  c.jpg -1 -1  \n';
    const table = readAttributeFile(write('crlf.txt', text));
    assert.deepEqual(table.names, ['Smiling', 'Young']);
    assert.equal(table.declaredRows, 3);
    assert.deepEqual([...table.rowOf], [['a.jpg', 0], ['b.jpg', 1], ['c.jpg', 2]]);
    assert.deepEqual([...table.values], [1, -1, -1, 1, -1, -1]);
  });

  it('names the file and line of a bad value or a short row', () => {
    const bad = write('bad-value.txt', '2\nA B\na.jpg 1 -1\nb.jpg 1 11\n');
    assert.throws(() => readAttributeFile(bad), (e) => e instanceof UserError &&
      e.message === `${bad}:4: attribute value '11' is not 1 or -1`);
    const short = write('short.txt', '1\nA B\n\na.jpg -1\n');
    assert.throws(() => readAttributeFile(short), (e) => e instanceof UserError &&
      e.message === `${short}:4: 1 values, expected 2`);
    const noNames = write('no-names.txt', '1\n');
    assert.throws(() => readAttributeFile(noNames), /expected a row count and a line of attribute/);
    // A second row for one image (it used to take the next image's values).
    const twice = write('twice.txt', '3\nA B\na.jpg 1 -1\n\na.jpg -1 1\nb.jpg 1 1\n');
    assert.throws(() => readAttributeFile(twice), (e) => e instanceof UserError &&
      e.message === `${twice}:5: a second row for a.jpg (the first is line 3); give each image ` +
        'one row');
  });

  it('reads UTF-8 file names and skips a byte-order mark, found or given by --labels', () => {
    const text = `${BOM}2\nSmiling Young\n顔_ü.jpg 1 -1\ncafé.jpg -1 1\n`;
    for (const table of [readAttributeFile(write('bom-attrs.txt', text)),
      readLabelFile(write('bom-labels.txt', text))]) {
      assert.ok('names' in table);
      assert.deepEqual(table.names, ['Smiling', 'Young']);
      assert.equal(table.declaredRows, 2);
      const aligned = alignAttributes(table, ['b/café.jpg', 'a/顔_ü.jpg']);
      assert.deepEqual([...aligned.values], [-1, 1, 1, -1]);
      assert.equal(aligned.matched, 2);
    }
  });
});
