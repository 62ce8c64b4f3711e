/**
 * The folder listing: the native walk against the JavaScript one, on a real data set and on a
 * temp folder holding what the walk must get right (links, hidden folders, exclusions, names that
 * sort differently as UTF-8 bytes and as JavaScript strings).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { imageBinding } from './native';
import { dataset, permissionBoundUser, tempFolder } from './testing';
import { filesOf, type FolderListing, listFiles, listFolder } from './walk';

/** A user that file permissions apply to (root reads everything). */
const BOUND = permissionBoundUser();

/** listFolder and listFiles of `root`, listed by a child process run as `user`. */
function readableBy(user: { uid?: number; gid?: number }, root: string): Record<string, unknown> {
  const script = `
    const { listFolder, listFiles } = require(${JSON.stringify(require.resolve('./walk'))});
    const { filesOf } = require(${JSON.stringify(require.resolve('./walk'))});
    (async () => {
      const listing = await listFolder(${JSON.stringify(root)});
      const walked = listFiles(${JSON.stringify(root)});
      process.stdout.write(JSON.stringify({
        native: { files: filesOf(listing).map((f) => f.relative), leftOut: listing.leftOut },
        javascript: { files: walked.files.map((f) => f.relative), leftOut: walked.leftOut },
      }));
    })();`;
  const output = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', ...user });
  return JSON.parse(output) as Record<string, unknown>;
}

const needsBinding = { skip: !imageBinding() && 'build/Release/infogan_image.node not built' };

/** A listing as plain values, for deepEqual against listFiles. */
function plain(listing: FolderListing) {
  const files = filesOf(listing).map(({ relative, absolute, size, mtimeMs, ctimeMs }) => ({
    relative,
    absolute,
    size,
    mtimeMs,
    ctimeMs,
  }));
  return { files, leftOut: listing.leftOut };
}

describe('listFolder', () => {
  const temp = tempFolder('walk');
  const root = path.join(temp.dir, 'data');
  const write = (relative: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
    fs.writeFileSync(path.join(root, relative), text);
  };

  before(() => {
    write('b/face.jpg', 'bb');
    write('a.txt', 'a');
    write('empty', '');
    write('.hidden-file', 'kept: only hidden folders are skipped');
    write('.git/HEAD', 'skipped');
    write('cache/folder-1.bin', 'excluded');
    write('labels.txt', 'excluded');
    write('line\nbreak', 'a name with a newline');
    // UTF-8 puts U+FF5E after U+1F600; JavaScript's string order puts it before.
    write('x\u{ff5e}.jpg', 'fullwidth tilde');
    write('x\u{1f600}.jpg', 'emoji');
    write('xé.jpg', 'e acute');
    // The same pair after a long shared prefix, which the native sort skips a word at a time.
    write('faces-of-2026/\u{ff5e}.jpg', 'fullwidth tilde');
    write('faces-of-2026/\u{1f600}.jpg', 'emoji');
    write('faces-of-2026/skip.jpg', 'excluded, in a sub-folder');
    // A folder's files sort among its siblings' by the whole path: '.' < '/' < '0'.
    for (const name of ['ab.jpg', 'ab/inner.jpg', 'ab0.jpg', 'ab-c.jpg', 'x\u{ff5e}/in.jpg'])
      write(name, name);
    // Names alike in their first eight bytes, or one the start of another.
    for (const name of ['abcdefgh-2.jpg', 'abcdefgh-10.jpg', 'abc', 'abcdefgh']) write(name, name);
    fs.mkdirSync(path.join(temp.dir, 'elsewhere'));
    fs.writeFileSync(path.join(temp.dir, 'elsewhere', 'c.jpg'), 'ccc');
    fs.symlinkSync(path.join(temp.dir, 'elsewhere'), path.join(root, 'linked'));
    fs.symlinkSync(path.join(root, 'a.txt'), path.join(root, 'link-to-a.txt'));
    fs.symlinkSync(path.join(root, 'nowhere'), path.join(root, 'dangling'));
    fs.symlinkSync(root, path.join(root, 'b', 'loop'));
    // Left out, and named: a pipe (reading it would block), a name that is not UTF-8, and a run
    // folder written inside the data (its grids are not data).
    execFileSync('mkfifo', [path.join(root, 'pipe')]);
    fs.writeFileSync(Buffer.concat([Buffer.from(root + '/bad'), Buffer.from([0xff]), Buffer.from('.jpg')]),
      'name');
    for (const name of ['config.json', 'model.json', 'checkpoints/manifest.json', 'grids/g.png'])
      write(`runs/one/${name}`, name);
    // Links to folders above the data set, which would list the tree it is in: left out.
    fs.symlinkSync(temp.dir, path.join(root, 'b', 'up'));
    fs.symlinkSync('/', path.join(root, 'slash'));
    // A link into the kernel's folders: never data, and /proc links to every process's folders.
    fs.symlinkSync('/proc', path.join(root, 'procs'));
    // A file there: its times change at every look, which would make every cache stale.
    fs.symlinkSync('/proc/self/status', path.join(root, 'status'));
    // A link to a folder inside the tree, sorting and found before it: listed under the real path.
    write('other/o1.jpg', 'o');
    fs.symlinkSync(path.join(root, 'other'), path.join(root, 'a-link-to-other'));
    const old = new Date('2020-01-02T03:04:05.678Z');
    fs.utimesSync(path.join(root, 'a.txt'), old, old);
  });
  after(temp.cleanup);

  const exclude = () => [
    path.join(root, 'cache'),
    path.join(root, 'labels.txt'),
    path.join(root, 'faces-of-2026', 'skip.jpg'),
  ];

  it('lists files with sizes and mtimes, sorted, following links to each folder once, by its ' +
    'real path where it has one in the tree', async () => {
    const listing = await listFolder(root, exclude());
    const files = filesOf(listing);
    assert.deepEqual(
      files.map((f) => f.relative),
      [
        '.hidden-file',
        'a.txt',
        'ab-c.jpg',
        'ab.jpg',
        'ab/inner.jpg',
        'ab0.jpg',
        'abc',
        'abcdefgh',
        'abcdefgh-10.jpg',
        'abcdefgh-2.jpg',
        'b/face.jpg',
        'empty',
        'faces-of-2026/\u{1f600}.jpg',
        'faces-of-2026/\u{ff5e}.jpg',
        'line\nbreak',
        'link-to-a.txt',
        'linked/c.jpg',
        'other/o1.jpg',
        'x\u{1f600}.jpg',
        'x\u{ff5e}.jpg',
        'x\u{ff5e}/in.jpg',
        'xé.jpg',
      ].sort(),
    );
    assert.deepEqual(
      files.map((f) => f.relative),
      [...files.map((f) => f.relative)].sort(),
      "JavaScript's string order",
    );
    const a = files.find((f) => f.relative === 'a.txt')!;
    assert.deepEqual([a.size, a.mtimeMs], [1, fs.statSync(path.join(root, 'a.txt')).mtimeMs]);
    assert.equal(Math.round(a.mtimeMs), Date.parse('2020-01-02T03:04:05.678Z'));
    assert.equal(a.absolute, path.join(root, 'a.txt'));
    const link = files.find((f) => f.relative === 'link-to-a.txt')!;
    assert.equal(link.mtimeMs, a.mtimeMs, 'a link is listed with its target');
    const above = 'a link to a folder above the data set';
    assert.deepEqual(listing.leftOut, [
      { relative: 'b/up/', reason: above },
      { relative: 'bad\ufffd.jpg', reason: 'a name that is not UTF-8' },
      { relative: 'dangling', reason: 'a link to nothing' },
      { relative: 'pipe', reason: 'not a regular file' },
      { relative: 'procs/', reason: 'a link into /proc' },
      { relative: 'runs/one/', reason: 'an infogan run folder' },
      { relative: 'slash/', reason: above },
      { relative: 'status', reason: 'a link into /proc' },
    ]);
  });

  it('gives exactly what the JavaScript walk gives', needsBinding, async () => {
    const expected = listFiles(root, exclude());
    assert.deepEqual(plain(await listFolder(root, exclude())), expected);
    const yale = dataset('yale-b-cropped');
    assert.deepEqual(plain(await listFolder(yale)), listFiles(yale));
    // 10,000 files in one folder: stat-ed on several threads.
    const celeba = dataset('celeba-10k', 'img_align_celeba');
    assert.deepEqual(plain(await listFolder(celeba, [], 3)), listFiles(celeba));
  });

  it('leaves out a sub-folder or file it cannot read, naming it and why',
    { skip: BOUND === null && 'user nobody cannot read this checkout' }, async () => {
    const locked = path.join(temp.dir, 'locked');
    fs.mkdirSync(path.join(locked, 'private'), { recursive: true });
    fs.mkdirSync(path.join(locked, 'open'));
    fs.writeFileSync(path.join(locked, 'private', 'face.jpg'), 'x');
    fs.writeFileSync(path.join(locked, 'open', 'face.jpg'), 'x');
    fs.chmodSync(path.join(locked, 'private'), 0);
    fs.chmodSync(temp.dir, 0o755);
    try {
      const results = readableBy(BOUND!, locked);
      const leftOut = [{ relative: 'private/', reason: 'permission denied' }];
      for (const [walk, result] of Object.entries(results)) {
        assert.deepEqual(result, { files: ['open/face.jpg'], leftOut }, walk);
      }
    } finally {
      fs.chmodSync(path.join(locked, 'private'), 0o755);
    }
  });

  it('packs an empty folder, and names a root it cannot read', async () => {
    const empty = path.join(temp.dir, 'empty');
    fs.mkdirSync(empty);
    const listing = await listFolder(empty);
    assert.equal(listing.count, 0);
    assert.deepEqual(filesOf(listing), []);
    await assert.rejects(listFolder(path.join(temp.dir, 'missing')), /missing/);
  });
});
